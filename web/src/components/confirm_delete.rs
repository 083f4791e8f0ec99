//! A row's actions that a click on Delete swaps for a question, "Delete" and "Cancel":
//! deleting is never one click, and the same for exports and schedules.

use leptos::prelude::*;

/// Shows `children` (the row's actions) until `confirming`, then asks `question`.
#[component]
pub fn ConfirmDelete(question: &'static str, confirming: RwSignal<bool>, on_delete: Callback<()>, children: ChildrenFn) -> impl IntoView {
    view! {
        <Show when=move || !confirming.get() fallback=move || view! {
            <span class="confirm" role="group" aria-label="Confirm delete">
                {question}" "
                <button type="button" class="danger confirm-delete" on:click=move |_| on_delete.run(())>"Delete"</button>
                <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </span>
        }>
            {children()}
        </Show>
    }
}
