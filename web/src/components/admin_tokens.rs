//! Administration's tokens: personal and ingest tokens of every account, with their
//! last use; create one (its secret shown once) or revoke one.

use crate::api;
use crate::format;
use convo_model::api::{AccountInfo, NewTokenRequest, TokenInfo, TokenKind};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Tokens(accounts: RwSignal<Vec<AccountInfo>>, changes: RwSignal<u64>) -> impl IntoView {
    let tokens = RwSignal::new(Vec::<TokenInfo>::new());
    let error = RwSignal::new(None::<String>);
    let email = RwSignal::new(String::new());
    let kind = RwSignal::new(TokenKind::Ingest);
    let scope = RwSignal::new(String::new());
    let days = RwSignal::new("90".to_string());
    let shown = RwSignal::new(None::<String>);
    let reload = move || {
        spawn_local(async move {
            match api::admin_tokens().await {
                Ok(list) => {
                    tokens.set(list.api_tokens);
                    changes.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    reload();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let expires_in_days = match days.get_untracked().trim().parse::<u16>() {
            Ok(n) => Some(n),
            Err(_) => return error.set(Some("expires in: a number of days, 1 to 3650".into())),
        };
        let chosen = email.get_untracked();
        let email =
            if chosen.is_empty() { accounts.with_untracked(|a| a.first().map(|a| a.email.clone())).unwrap_or_default() } else { chosen };
        let assistants = scope.get_untracked().split([',', ' ']).filter(|s| !s.is_empty()).map(str::to_string).collect();
        let request = NewTokenRequest { email, kind: kind.get_untracked(), assistants, expires_in_days };
        spawn_local(async move {
            match api::create_token(&request).await {
                Ok(made) => {
                    error.set(None);
                    shown.set(Some(made.token));
                    reload();
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let revoke = move |id: String| {
        spawn_local(async move {
            match api::revoke_token(&id).await {
                Ok(()) => reload(),
                Err(e) => error.set(Some(e.message)),
            }
        })
    };
    view! {
        <section aria-labelledby="admin-tokens-h">
            <h2 id="admin-tokens-h">"Tokens"</h2>
            <form class="create-token" on:submit=create>
                <label for="token-email">"Account"</label>
                <select id="token-email" on:change=move |ev| email.set(event_target_value(&ev))>
                    {move || accounts.get().into_iter().map(|a| view! { <option value=a.email.clone()>{a.email.clone()}</option> }).collect_view()}
                </select>
                <label for="token-kind">"Kind"</label>
                <select id="token-kind" on:change=move |ev| kind.set(TokenKind::parse(&event_target_value(&ev)).unwrap_or(TokenKind::Personal))>
                    <option value="ingest" selected=true>"Ingest (sends conversations, nothing else)"</option>
                    <option value="personal">"Personal (the account's API)"</option>
                </select>
                <label for="token-assistants">"Assistants it may write (ingest; comma-separated ids)"</label>
                <input id="token-assistants" type="text" list="assistant-ids" prop:value=move || scope.get() on:input=move |ev| scope.set(event_target_value(&ev)) />
                <label for="token-days">"Expires in (days)"</label>
                <input id="token-days" type="number" min="1" max="3650" prop:value=move || days.get() on:input=move |ev| days.set(event_target_value(&ev)) aria-describedby="token-error" />
                <p id="token-error" class="field-error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" id="create-token">"Create token"</button>
            </form>
            {move || shown.get().map(|t| view! { <p class="once" id="new-token">"Token (shown once): "<code>{t}</code></p> })}
            <table class="tokens">
                <thead><tr><th scope="col">"Id"</th><th scope="col">"Account"</th><th scope="col">"Kind"</th><th scope="col">"Created"</th><th scope="col">"Expires"</th><th scope="col">"Last used"</th><th scope="col">"Actions"</th></tr></thead>
                <tbody>
                    {move || tokens.get().into_iter().map(|t| {
                        let id = t.id.clone();
                        let kind = match t.kind {
                            TokenKind::Personal => "personal".to_string(),
                            TokenKind::Ingest => format!("ingest: {}", t.assistants.join(", ")),
                        };
                        view! {
                            <tr class="token" data-id=t.id.clone()>
                                <td><code>{t.id.clone()}</code></td>
                                <td>{t.email}</td>
                                <td>{kind}</td>
                                <td>{format::minute(t.created_at)}</td>
                                <td>{t.expires_at.map(format::minute).unwrap_or_else(|| "never".into())}</td>
                                <td class="last-used">{t.last_used_at.map(format::minute).unwrap_or_else(|| "never".into())}</td>
                                <td><button type="button" class="revoke-token" aria-label=format!("Revoke the token {}", t.id) on:click=move |_| revoke(id.clone())>"Revoke"</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
