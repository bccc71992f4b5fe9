//! The forge simulator. Its worlds, endpoints and fault injection arrive with
//! the simulator issue; the crate exists now so the workspace layout is final.
