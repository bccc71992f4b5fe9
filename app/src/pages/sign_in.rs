//! `/sign-in`: sign in with one of the forges this installation knows, or,
//! signed in already, link another. Says what went wrong with the last try.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use model::url::encode_component;

use crate::components::Problem;
use crate::server_fns::tracker::sign_in_options;
use crate::server_fns::viewer;

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let problem = move || query.read().get("problem");
    let next = move || {
        query
            .read()
            .get("next")
            .filter(|n| n.starts_with('/') && !n.starts_with("//"))
            .unwrap_or_else(|| "/issues".to_owned())
    };
    let options = Resource::new(|| (), |_| sign_in_options());
    let viewer = viewer();
    view! {
        <Title text="Sign in" />
        <section class="sign-in" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">"Sign in"</h1>
            {move || problem().map(|p| view! { <p class="error" role="alert" data-testid="sign-in-problem">{p}</p> })}
            <Suspense fallback=|| ()>
                {move || {
                    let signed_in = viewer.get().and_then(Result::ok).flatten();
                    signed_in.map(|v| {
                        view! {
                            <p>"You are signed in as " <strong>{v.name}</strong>". Link another forge account to subscribe to its repositories too."</p>
                        }
                    })
                }}
            </Suspense>
            <p class="muted">
                "Tally asks the forge to let it read your repositories and their issues. Your tokens are kept encrypted on this server and never sent to your browser."
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    options
                        .get()
                        .map(|result| match result {
                            Ok(options) if options.is_empty() => {
                                view! { <p class="error">"This installation has no forge to sign in with configured."</p> }.into_any()
                            }
                            Ok(options) => {
                                view! {
                                    <ul class="sign-in__options">
                                        {options
                                            .into_iter()
                                            .map(|o| {
                                                let href = format!("{}?next={}", o.href, encode_component(&next()));
                                                view! {
                                                    <li>
                                                        <a class="button" href=href rel="external">
                                                            "Sign in with "{o.forge.name()}
                                                        </a>
                                                        " "<span class="muted">{o.instance}</span>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <Problem error /> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}
