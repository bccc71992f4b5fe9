//! `/settings`: the signed-in person's personal API tokens. A new token is
//! shown once, right after it is made; afterwards only its name and dates.
//! Revoking one stops it at once.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use model::tokens::ApiTokenList;

use crate::components::{Problem, age};
use crate::error::AppError;
use crate::server_fns::settings::{CreateApiToken, RevokeApiToken, api_tokens};
use crate::server_fns::viewer;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let viewer = viewer();
    view! {
        <Title text="Settings" />
        <h1 class="query-title">"Settings"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                viewer
                    .get()
                    .map(|result| match result {
                        Ok(Some(viewer)) => view! { <Tokens csrf=viewer.csrf /> }.into_any(),
                        Ok(None) | Err(AppError::Unauthorized) => view! {
                            <p class="failure" role="alert">
                                "Sign in to manage your API tokens. " <a href="/sign-in?next=/settings">"Sign in"</a>
                            </p>
                        }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn Tokens(csrf: String) -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| api_tokens(),
    );
    let revoke_csrf = csrf.clone();
    view! {
        <section class="panel" aria-labelledby="tokens-title">
            <h2 id="tokens-title" class="section-title">"API tokens"</h2>
            <p class="muted">
                "A token lets a script start discovery runs through "<a href="/api/docs/">"the API"</a>
                ", sent as "<code>"Authorization: Bearer …"</code>". Tally keeps only a digest of it: copy it when it is shown."
            </p>
            <ActionForm action=create attr:class="form form--inline">
                <input type="hidden" name="csrf" value=csrf />
                <label class="field" for="token-name">
                    <span class="field__label">"Name"</span>
                    <input id="token-name" name="name" type="text" required maxlength="100" placeholder="what uses it" />
                </label>
                <button type="submit" class="button">"Make a token"</button>
            </ActionForm>
            {move || {
                create
                    .value()
                    .get()
                    .map(|result| match result {
                        Ok(made) => view! {
                            <div class="notice" role="status">
                                <p>"Your new token "<strong>{made.details.name}</strong>" (shown only now):"</p>
                                <p><code class="token" data-testid="new-token">{made.token}</code></p>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    })
            }}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let csrf = revoke_csrf.clone();
                    tokens.get().map(move |result| match result {
                        Ok(list) if list.tokens.is_empty() => view! { <p class="muted">"No tokens."</p> }.into_any(),
                        Ok(list) => view! { <TokenList list csrf revoke /> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn TokenList(
    list: ApiTokenList,
    csrf: String,
    revoke: ServerAction<RevokeApiToken>,
) -> impl IntoView {
    let now = list.as_of;
    view! {
        <table class="data-table">
            <thead>
                <tr><th scope="col">"Name"</th><th scope="col">"Made"</th><th scope="col">"Last used"</th><th scope="col"></th></tr>
            </thead>
            <tbody>
                {list
                    .tokens
                    .into_iter()
                    .map(|token| {
                        let csrf = csrf.clone();
                        view! {
                            <tr data-testid="token">
                                <td>{token.name.clone()}</td>
                                <td>{age(token.created_at, now)}</td>
                                <td>{token.last_used_at.map_or_else(|| "never".to_owned(), |at| age(at, now))}</td>
                                <td>
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="csrf" value=csrf />
                                        <input type="hidden" name="token" value=token.id.to_string() />
                                        <button type="submit" class="button button--small button--quiet">"Revoke"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
