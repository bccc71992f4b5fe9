use leptos::form::ActionForm;
use leptos::prelude::*;
use model::contribution::ContributionKind;
use model::query::QueryForm;

use crate::api::CreateQuery;
use crate::error::AppError;

/// The fields of a query, prefilled from `form`. Submitting posts to the
/// `create_query` server function (without JavaScript too) and lands on
/// the resulting query's address, so editing a query changes the URL.
#[component]
pub fn QueryEditor(
    form: QueryForm,
    submit: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let create = ServerAction::<CreateQuery>::new();
    let problem = move || match create.value().get() {
        Some(Err(AppError::Invalid { field, message })) => Some(format!("{field}: {message}")),
        Some(Err(error)) => Some(error.to_string()),
        _ => None,
    };
    let kinds = form.kinds.clone();
    view! {
        <ActionForm action=create attr:class="form">
            <label class="field">
                <span class="field__label">"People"</span>
                <textarea
                    name="people"
                    rows="4"
                    required
                    placeholder="Ada Lovelace = github:ada gitlab:ada\ngerrit@review.example.org:jdoe"
                >
                    {form.people.clone()}
                </textarea>
                <span class="field__hint">
                    "One person per line: an optional name, “=”, then accounts as forge:username or forge@host:username."
                </span>
            </label>
            <div class="field-row">
                <label class="field">
                    <span class="field__label">"From"</span>
                    <input type="date" name="from" value=form.from.clone() />
                </label>
                <label class="field">
                    <span class="field__label">"To"</span>
                    <input type="date" name="to" value=form.to.clone() />
                </label>
            </div>
            <p class="field__hint">"Empty dates mean the last 12 months (UTC days)."</p>
            <fieldset class="field kinds">
                <legend class="field__label">"Kinds (none ticked: all)"</legend>
                {ContributionKind::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, kind)| {
                        let value = serde_json::to_value(kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        let checked = kinds.contains(&value);
                        view! {
                            <label class="check">
                                <input type="checkbox" name=format!("kinds[{i}]") value=value checked=checked />
                                " "
                                {kind.label()}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            {children.map(|c| c())}
            <button type="submit" class="button">{submit}</button>
            {move || problem().map(|p| view! { <p class="error" role="alert">{p}</p> })}
        </ActionForm>
    }
}
