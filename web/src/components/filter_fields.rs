//! The optional filters of an export or a schedule: channels, a contact, words.

use convo_model::{Channel, ExportFilters};
use leptos::prelude::*;

/// Filter fields bound to `filters`; `prefix` keeps their ids apart on one page.
#[component]
pub fn FilterFields(prefix: &'static str, filters: RwSignal<ExportFilters>) -> impl IntoView {
    let toggle = move |channel: Channel, on: bool| {
        filters.update(|f| {
            f.channels.retain(|c| *c != channel);
            if on {
                f.channels.push(channel);
                f.channels.sort();
            }
        })
    };
    let text_of = move |field: fn(&ExportFilters) -> &Option<String>| move || filters.with(|f| field(f).clone().unwrap_or_default());
    let set = move |field: fn(&mut ExportFilters) -> &mut Option<String>, value: String| {
        filters.update(|f| *field(f) = Some(value).filter(|v| !v.trim().is_empty()))
    };
    view! {
        <details class="filters" open=move || !filters.with(ExportFilters::is_empty)>
            <summary>"Filters (optional)"</summary>
            <fieldset>
                <legend>"Channels (none ticked: all)"</legend>
                <div class="channels">
                    {Channel::known().map(|channel| {
                        let id = format!("{prefix}-ch-{}", channel.id());
                        let label = channel.label().to_string();
                        let (c1, c2) = (channel.clone(), channel);
                        view! {
                            <label class="check">
                                <input id=id type="checkbox" prop:checked=move || filters.with(|f| f.channels.contains(&c1))
                                    on:change=move |ev| toggle(c2.clone(), event_target_checked(&ev)) />
                                {label}
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <label for=format!("{prefix}-contact")>"Contact name or email contains"</label>
            <input id=format!("{prefix}-contact") type="text" autocomplete="off" maxlength="200"
                prop:value=text_of(|f| &f.contact) on:input=move |ev| set(|f| &mut f.contact, event_target_value(&ev)) />
            <label for=format!("{prefix}-text")>"Messages contain the words"</label>
            <input id=format!("{prefix}-text") type="text" autocomplete="off" maxlength="200"
                prop:value=text_of(|f| &f.text) on:input=move |ev| set(|f| &mut f.text, event_target_value(&ev)) />
        </details>
    }
}
