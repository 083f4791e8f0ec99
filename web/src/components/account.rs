//! The Account page: who is signed in, and the account's Webhooks (add one with its
//! events, its secret shown once; each listed with its latest deliveries; delete).

use crate::api;
use crate::format;
use convo_model::api::{CreateWebhook, DeliveryInfo, Me, WebhookEvent, WebhookInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

const EVENTS: [(WebhookEvent, &str); 4] = [
    (WebhookEvent::ExportReady, "An export is ready"),
    (WebhookEvent::ExportFailed, "An export failed"),
    (WebhookEvent::ExportExpiring, "An export expires in 3 days"),
    (WebhookEvent::ScheduleRan, "A schedule ran"),
];

#[component]
pub fn AccountPage(me: Me) -> impl IntoView {
    view! {
        <section class="account" aria-labelledby="account-h">
            <header class="toolbar"><h1 id="account-h">"Account"</h1></header>
            <p>{me.name}" · "{me.email}{if me.admin { " · admin" } else { "" }}</p>
            <Webhooks />
        </section>
    }
}

#[component]
fn Webhooks() -> impl IntoView {
    let hooks = RwSignal::new(Vec::<WebhookInfo>::new());
    let error = RwSignal::new(None::<String>);
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![WebhookEvent::ExportReady, WebhookEvent::ExportFailed]);
    let secret = RwSignal::new(None::<String>);
    let reload = move || {
        spawn_local(async move {
            match api::webhooks().await {
                Ok(list) => hooks.set(list.webhooks),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    reload();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = CreateWebhook { url: url.get_untracked(), events: chosen.get_untracked() };
        spawn_local(async move {
            match api::create_webhook(&request).await {
                Ok(made) => {
                    error.set(None);
                    url.set(String::new());
                    secret.set(Some(made.secret));
                    reload();
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section class="webhooks" aria-labelledby="webhooks-h">
            <h2 id="webhooks-h">"Webhooks"</h2>
            <p class="help">"The server posts JSON to these URLs when an export is ready, fails, is about to expire, or a schedule runs: signed with "
                <code>"X-Convo-Signature: sha256=HMAC-SHA256(secret, body)"</code>", retried for a day, never with conversation content."</p>
            <form class="webhook-form" on:submit=add>
                <label for="webhook-url">"URL"</label>
                <input id="webhook-url" type="url" required placeholder="https://example.com/hooks/convo" aria-describedby="webhook-error"
                    prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev)) />
                <fieldset>
                    <legend>"Events"</legend>
                    {EVENTS.into_iter().map(|(event, label)| {
                        let id = format!("webhook-{}", event.as_str().replace('.', "-"));
                        let for_id = id.clone();
                        view! {
                            <label for=for_id>
                                <input id=id type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&event))
                                    on:change=move |_| chosen.update(|c| if c.contains(&event) { c.retain(|e| *e != event) } else { c.push(event) }) />
                                " "{label}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <p id="webhook-error" class="field-error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" id="add-webhook">"Add webhook"</button>
            </form>
            {move || secret.get().map(|s| view! {
                <p class="once" id="webhook-secret">"Signing secret (shown once): "<code>{s}</code></p>
            })}
            <Show when=move || hooks.with(Vec::is_empty)>
                <p class="empty">"No webhooks."</p>
            </Show>
            <ul class="webhook-list">
                {move || hooks.get().into_iter().map(|h| view! { <WebhookRow hook=h on_deleted=reload /> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn WebhookRow(hook: WebhookInfo, on_deleted: impl Fn() + Copy + 'static) -> impl IntoView {
    let deliveries = RwSignal::new(None::<Vec<DeliveryInfo>>);
    let error = RwSignal::new(None::<String>);
    let id = StoredValue::new(hook.id.clone());
    let show = move |_| {
        spawn_local(async move {
            match api::deliveries(&id.get_value()).await {
                Ok(list) => deliveries.set(Some(list.deliveries)),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let delete = move |_| {
        spawn_local(async move {
            match api::delete_webhook(&id.get_value()).await {
                Ok(()) => on_deleted(),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let events: Vec<&str> = hook.events.iter().map(|e| e.as_str()).collect();
    view! {
        <li class="webhook">
            <p><code class="url">{hook.url.clone()}</code>" · "{events.join(", ")}</p>
            <button type="button" on:click=show>"Deliveries"</button>
            " "
            <button type="button" on:click=delete aria-label=format!("Delete the webhook {}", hook.url)>"Delete"</button>
            <p class="field-error" role="alert">{move || error.get()}</p>
            {move || deliveries.get().map(|list| view! {
                <table class="deliveries">
                    <thead><tr><th scope="col">"Event"</th><th scope="col">"When"</th><th scope="col">"State"</th><th scope="col">"Attempts"</th><th scope="col">"Last answer"</th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|d| view! {
                            <tr>
                                <td>{d.event.as_str()}</td>
                                <td><time datetime=d.created_at.to_rfc3339()>{format::minute(d.created_at)}</time></td>
                                <td>{d.state.as_str()}</td>
                                <td>{d.attempts}</td>
                                <td>{d.last_status.map(|s| s.to_string()).or(d.last_error).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </li>
    }
}
