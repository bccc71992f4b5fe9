use leptos::form::ActionForm;
use leptos::prelude::*;
use model::contribution::{ContributionKind, Status};
use model::query::QueryForm;
use model::wire::wire_name;

use super::query_cost::QueryCostView;
use crate::error::AppError;
use crate::server_fns::CreateQuery;

/// Checkboxes `field[i]` for each of `choices`, ticked when in `ticked`.
fn checkboxes<T: serde::Serialize>(
    field: &'static str,
    choices: &[T],
    label: fn(&T) -> &'static str,
    ticked: &[String],
) -> impl IntoView + use<T> {
    choices
        .iter()
        .enumerate()
        .map(|(i, choice)| {
            let value = wire_name(choice);
            let checked = ticked.contains(&value);
            view! {
                <label class="check">
                    <input type="checkbox" name=format!("{field}[{i}]") value=value checked=checked />
                    " "
                    {label(choice)}
                </label>
            }
        })
        .collect_view()
}

/// The fields of a query, prefilled from `form`. Submitting posts to the
/// `create_query` server function (without JavaScript too) and lands on
/// the resulting query's address, so editing a query changes the URL.
/// When `live`, every change is submitted at once.
#[component]
pub fn QueryEditor(
    form: QueryForm,
    submit: &'static str,
    #[prop(optional)] live: bool,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let create = ServerAction::<CreateQuery>::new();
    let problem = move || match create.value().get() {
        Some(Err(AppError::Invalid { field, message })) => Some(format!("{field}: {message}")),
        Some(Err(error)) => Some(error.to_string()),
        _ => None,
    };
    // The people field is checked as it is typed, by the same rules as the server.
    let people_problem = RwSignal::new(None::<String>);
    // What is typed, for the cost shown before submitting.
    let (people, from, to) = (
        RwSignal::new(form.people.clone()),
        RwSignal::new(form.from.clone()),
        RwSignal::new(form.to.clone()),
    );
    let check_people = move |event: leptos::ev::Event| {
        let text = event_target_value(&event);
        people_problem.set(model::query::parse_people(&text).err().map(|e| e.message));
        people.set(text);
    };
    let on_change = move |event: leptos::ev::Event| {
        if live {
            submit_form_of(&event);
        }
    };
    view! {
        <ActionForm action=create attr:class="form" on:change=on_change>
            <label class="field">
                <span class="field__label">"People"</span>
                <textarea
                    name="people"
                    rows="4"
                    required
                    aria-invalid=move || people_problem.get().is_some().to_string()
                    aria-describedby="people-problem"
                    on:input=check_people
                    placeholder="Ada Lovelace = github:ada gitlab:ada\ngerrit@review.example.org:jdoe"
                >
                    {form.people.clone()}
                </textarea>
                <span id="people-problem" class="field__problem" role="alert">{move || people_problem.get()}</span>
                <span class="field__hint">
                    "One person per line: an optional name, “=”, then accounts as forge:username or forge@host:username."
                </span>
            </label>
            <div class="field-row">
                <label class="field">
                    <span class="field__label">"From"</span>
                    <input type="date" name="from" value=form.from.clone() on:input=move |e| from.set(event_target_value(&e)) />
                </label>
                <label class="field">
                    <span class="field__label">"To"</span>
                    <input type="date" name="to" value=form.to.clone() on:input=move |e| to.set(event_target_value(&e)) />
                </label>
            </div>
            <p class="field__hint">"Empty dates mean the last 12 months (UTC days)."</p>
            {(!live).then(|| view! { <QueryCostView people from to /> })}
            <fieldset class="field kinds">
                <legend class="field__label">"Kinds (none ticked: all)"</legend>
                {checkboxes("kinds", &ContributionKind::ALL, |k| k.label(), &form.kinds)}
            </fieldset>
            <fieldset class="field kinds">
                <legend class="field__label">"Status (none ticked: any; commits and reviews have none)"</legend>
                {checkboxes("statuses", &Status::ALL, |s| s.label(), &form.statuses)}
            </fieldset>
            <div class="field-row">
                <label class="field">
                    <span class="field__label">"Only repositories"</span>
                    <input type="text" name="include_repos" value=form.include_repos.clone() placeholder="owner/name, …" />
                </label>
                <label class="field">
                    <span class="field__label">"Leave out repositories"</span>
                    <input type="text" name="exclude_repos" value=form.exclude_repos.clone() placeholder="owner/name, …" />
                </label>
            </div>
            {children.map(|c| c())}
            <button type="submit" class="button">{submit}</button>
            {move || problem().map(|p| view! { <p class="error" role="alert">{p}</p> })}
        </ActionForm>
    }
}

/// Submits the form a change happened in, as its submit button would
/// (so the browser's own checks run first).
fn submit_form_of(event: &leptos::ev::Event) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(form) = event
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        {
            let _ = form.request_submit();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = event;
}
