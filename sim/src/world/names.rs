//! Word lists the generator draws from. Plain ASCII: forges restrict usernames.

pub const FIRST: &[&str] = &[
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Astrid", "Bea", "Bjorn", "Carlos", "Chen", "Chiara",
    "Dana", "Dmitri", "Elif", "Emeka", "Eva", "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines",
    "Ivan", "Jae", "Jonas", "Kai", "Kenji", "Lara", "Leila", "Linus", "Lucia", "Maya", "Mei",
    "Mateo", "Nadia", "Nils", "Noor", "Olga", "Omar", "Priya", "Quinn", "Rafael", "Rosa", "Sami",
    "Sofia", "Tariq", "Uma", "Vera", "Wen", "Yusuf", "Zara", "Zoltan",
];

pub const LAST: &[&str] = &[
    "Abebe",
    "Andersen",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fernandes",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Kim",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Oliveira",
    "Park",
    "Petrov",
    "Quispe",
    "Rossi",
    "Sato",
    "Schmidt",
    "Singh",
    "Tanaka",
    "Usman",
    "Varga",
    "Wang",
    "Weber",
    "Yilmaz",
    "Zhang",
];

pub const REPO_WORDS: &[&str] = &[
    "atlas", "beacon", "cinder", "delta", "ember", "flux", "garnet", "harbor", "iris", "juniper",
    "kestrel", "lumen", "meridian", "nimbus", "orbit", "pylon", "quartz", "relay", "sable",
    "tundra", "umbra", "vector", "willow", "xenon", "yarrow", "zephyr",
];

pub const REPO_SUFFIXES: &[&str] = &[
    "", "-core", "-cli", "-server", "-ui", "-sdk", "-docs", "-rs", "-py", "-api", "-infra",
];

pub const LANGUAGES: &[&str] = &[
    "Rust",
    "Go",
    "Python",
    "TypeScript",
    "JavaScript",
    "Java",
    "C",
    "C++",
    "Kotlin",
    "Ruby",
    "Shell",
    "HTML",
];

pub const TOPICS: &[&str] = &[
    "cli",
    "database",
    "web",
    "networking",
    "compiler",
    "devops",
    "machine-learning",
    "security",
    "embedded",
    "graphics",
    "testing",
    "observability",
];

/// Issue labels, with the synonyms real projects use for bugs and performance.
pub const BUG_LABELS: &[&str] = &["bug", "defect", "type: bug", "kind/bug"];
pub const PERFORMANCE_LABELS: &[&str] = &["performance", "perf", "slow"];
pub const OTHER_LABELS: &[&str] = &[
    "enhancement",
    "feature",
    "documentation",
    "question",
    "good first issue",
    "help wanted",
];

pub const VERBS: &[&str] = &[
    "Fix", "Add", "Remove", "Refactor", "Speed up", "Document", "Handle", "Rename", "Test",
    "Simplify",
];

pub const THINGS: &[&str] = &[
    "parser",
    "cache",
    "login flow",
    "retry logic",
    "config loading",
    "error messages",
    "build script",
    "date handling",
    "pagination",
    "rate limiter",
    "export",
    "search index",
];

/// UTC offsets in minutes, including the half- and quarter-hour ones.
pub const UTC_OFFSETS: &[i32] = &[
    -480, -420, -300, -240, -180, 0, 60, 120, 180, 330, 345, 480, 540, 600, 780,
];
