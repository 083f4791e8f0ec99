//! Administration's accounts: add one (with a password, or for a one-time invite link
//! shown once), make admin, disable or enable, grant and revoke assistants.

use crate::api;
use convo_model::api::{AccountChange, AccountInfo, AssistantRef, Me, NewAccountRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Accounts(
    me: Me,
    accounts: RwSignal<Vec<AccountInfo>>,
    assistants: Signal<Vec<AssistantRef>>,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let admin = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let invite = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = password.get_untracked();
        let request = NewAccountRequest {
            email: email.get_untracked(),
            name: name.get_untracked(),
            password: (!typed.is_empty()).then_some(typed),
            admin: admin.get_untracked(),
        };
        spawn_local(async move {
            match api::add_account(&request).await {
                Ok(created) => {
                    error.set(None);
                    invite.set(created.invite_url);
                    email.set(String::new());
                    name.set(String::new());
                    password.set(String::new());
                    reload();
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let me = StoredValue::new(me.email);
    view! {
        <section aria-labelledby="admin-accounts-h">
            <h2 id="admin-accounts-h">"Accounts"</h2>
            <form class="add-account" on:submit=add>
                <label for="new-email">"Email"</label>
                <input id="new-email" type="email" required prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                <label for="new-name">"Name"</label>
                <input id="new-name" type="text" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="new-password">"Password (leave empty to get an invite link)"</label>
                <input id="new-password" type="password" autocomplete="new-password" aria-describedby="add-account-error"
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                <label for="new-admin"><input id="new-admin" type="checkbox" prop:checked=move || admin.get() on:change=move |_| admin.update(|a| *a = !*a) />" Admin"</label>
                <p id="add-account-error" class="field-error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" id="add-account">"Add account"</button>
            </form>
            {move || invite.get().map(|url| view! {
                <p class="once" id="invite-url">"Invite link (shown once, works for 7 days): "<code>{url}</code></p>
            })}
            <datalist id="assistant-ids">
                {move || assistants.get().into_iter().map(|a| view! { <option value=a.id>{a.name}</option> }).collect_view()}
            </datalist>
            <table class="accounts">
                <thead><tr><th scope="col">"Email"</th><th scope="col">"Name"</th><th scope="col">"Status"</th><th scope="col">"Assistants"</th><th scope="col">"Actions"</th></tr></thead>
                <tbody>
                    {move || accounts.get().into_iter().map(|a| {
                        let mine = me.with_value(|m| *m == a.email);
                        view! { <AccountRow account=a mine=mine accounts=accounts error=error /> }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// One account: its grants (each revocable, one more to grant) and its actions.
#[component]
fn AccountRow(account: AccountInfo, mine: bool, accounts: RwSignal<Vec<AccountInfo>>, error: RwSignal<Option<String>>) -> impl IntoView {
    let email = StoredValue::new(account.email.clone());
    let grant_to = RwSignal::new(String::new());
    // Each change answers the account as it now is: it replaces its row.
    let apply = move |result: api::ApiResult<AccountInfo>| match result {
        Ok(now) => {
            error.set(None);
            accounts.update(|list| {
                if let Some(a) = list.iter_mut().find(|a| a.email == now.email) {
                    *a = now;
                }
            });
        }
        Err(e) => error.set(Some(e.message)),
    };
    let change = move |change: AccountChange| spawn_local(async move { apply(api::change_account(&email.get_value(), change).await) });
    let grant = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let assistant = grant_to.get_untracked().trim().to_string();
        spawn_local(async move { apply(api::grant(&email.get_value(), &assistant).await) });
    };
    let status = [(account.admin, "admin"), (account.disabled, "disabled"), (account.invited, "invited")]
        .into_iter()
        .filter_map(|(on, what)| on.then_some(what))
        .collect::<Vec<_>>()
        .join(", ");
    let grant_id = format!("grant-{}", account.email.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    let grant_for = grant_id.clone();
    let (disabled, admin) = (account.disabled, account.admin);
    view! {
        <tr class="account" data-email=account.email.clone()>
            <td>{account.email.clone()}</td>
            <td dir="auto">{account.name.clone()}</td>
            <td class="status">{status}</td>
            <td>
                <ul class="grants">
                    {account.assistants.iter().map(|assistant| {
                        let assistant = assistant.clone();
                        let label = format!("Revoke {assistant} from {}", account.email);
                        let which = assistant.clone();
                        view! {
                            <li class="grant" data-assistant=assistant.clone()>{assistant.clone()}" "
                                <button type="button" class="link revoke" aria-label=label
                                    on:click=move |_| { let which = which.clone(); spawn_local(async move { apply(api::revoke(&email.get_value(), &which).await) }) }>"Revoke"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <form class="grant-form" on:submit=grant>
                    <label for=grant_for class="sr-only">{format!("Assistant to grant {}", account.email)}</label>
                    <input id=grant_id class="grant-input" type="text" list="assistant-ids" required placeholder="assistant id"
                        prop:value=move || grant_to.get() on:input=move |ev| grant_to.set(event_target_value(&ev)) />
                    <button type="submit" class="grant">"Grant"</button>
                </form>
            </td>
            <td class="actions">
                <Show when=move || !mine>
                    <button type="button" class="toggle-disabled" on:click=move |_| change(AccountChange { disabled: Some(!disabled), admin: None })>
                        {if disabled { "Enable" } else { "Disable" }}
                    </button>
                    " "
                    <button type="button" class="toggle-admin" on:click=move |_| change(AccountChange { disabled: None, admin: Some(!admin) })>
                        {if admin { "Remove admin" } else { "Make admin" }}
                    </button>
                </Show>
            </td>
        </tr>
    }
}
