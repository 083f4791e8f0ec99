//! The Schedules page: standing orders for weekly, monthly or quarterly archives of an
//! assistant, each exported by the server once its period is complete. Create (errors
//! next to the field), pause or resume, run now, delete (asks first), and the next run.

use super::confirm_delete::ConfirmDelete;
use super::filter_fields::FilterFields;
use super::sharing_fields::SharingFields;
use crate::api;
use crate::format;
use crate::state::Toasts;
use convo_model::api::{AssistantRef, CreateScheduleRequest, Every, ScheduleInfo};
use convo_model::{ExportFilters, Format, Redaction};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn SchedulesPage(assistants: Signal<Vec<AssistantRef>>) -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let version = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        version.track();
        api::schedules()
    });
    let reload = move || version.update(|v| *v += 1);
    view! {
        <section class="schedules" aria-labelledby="schedules-h">
            <header class="toolbar"><h1 id="schedules-h">"Schedules"</h1></header>
            <p class="help">"A schedule exports the previous complete week, month or quarter of its time zone as soon as it ends, rendered by the server, and lists it in Available Exports. Periods missed while the server was down are caught up."</p>
            <NewSchedule assistants=assistants on_created=move || { toasts.show("Schedule created."); reload() } />
            <h2>"Your schedules"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! {
                    <p class="field-error">{move || errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join(" ")}</p>
                }>
                    {move || Suspend::new(async move {
                        list.await.map(|l| {
                            if l.schedules.is_empty() {
                                view! { <p class="empty">"No schedules yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="schedule-table">
                                        <thead><tr>
                                            <th scope="col">"Assistant"</th><th scope="col">"Every"</th><th scope="col">"Time zone"</th>
                                            <th scope="col">"Next run"</th><th scope="col">"Last period"</th><th scope="col">"Actions"</th>
                                        </tr></thead>
                                        <tbody>
                                            {l.schedules.into_iter().map(|s| view! { <ScheduleRow schedule=s version=version /> }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn NewSchedule(assistants: Signal<Vec<AssistantRef>>, on_created: impl Fn() + Copy + 'static) -> impl IntoView {
    let assistant = RwSignal::new(String::new());
    let every = RwSignal::new(Every::Month);
    let zone = RwSignal::new(crate::format::browser_time_zone());
    let filters = RwSignal::new(ExportFilters::default());
    let format = RwSignal::new(Format::Html);
    let redaction = RwSignal::new(Redaction::default());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let assistant_id = assistant.get_untracked();
        let assistant_id = if assistant_id.is_empty() {
            assistants.get_untracked().first().map(|a| a.id.clone()).unwrap_or_default()
        } else {
            assistant_id
        };
        let request = CreateScheduleRequest {
            assistant_id,
            every: every.get_untracked(),
            time_zone: zone.get_untracked(),
            filters: filters.get_untracked(),
            redact: redaction.get_untracked(),
            format: format.get_untracked(),
        };
        busy.set(true);
        spawn_local(async move {
            match api::create_schedule(&request).await {
                Ok(_) => {
                    error.set(None);
                    on_created();
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="new-schedule" on:submit=submit aria-labelledby="new-schedule-h">
            <h2 id="new-schedule-h">"New schedule"</h2>
            <label for="schedule-assistant">"Assistant"</label>
            <select id="schedule-assistant" on:change=move |ev| assistant.set(event_target_value(&ev))>
                {move || assistants.get().into_iter().map(|a| view! { <option value=a.id.clone()>{a.name}" ("{a.id.clone()}")"</option> }).collect_view()}
            </select>
            <label for="schedule-every">"Every"</label>
            <select id="schedule-every" on:change=move |ev| every.set(Every::parse(&event_target_value(&ev)).unwrap_or(Every::Month))>
                <option value="week">"Week (ISO, Monday to Sunday)"</option>
                <option value="month" selected=true>"Month"</option>
                <option value="quarter">"Quarter"</option>
            </select>
            <label for="schedule-zone">"Time zone"</label>
            <input id="schedule-zone" type="text" autocomplete="off" aria-describedby="schedule-error"
                prop:value=move || zone.get() on:input=move |ev| zone.set(event_target_value(&ev)) />
            <p class="help">"An IANA time zone, such as Europe/Berlin: periods start at midnight there."</p>
            <FilterFields prefix="schedule" filters=filters />
            <SharingFields prefix="schedule" format=format redaction=redaction />
            <p id="schedule-error" class="field-error" role="alert">{move || error.get()}</p>
            <button type="submit" class="primary" id="create-schedule" disabled=move || busy.get()>"Create schedule"</button>
        </form>
    }
}

#[component]
fn ScheduleRow(schedule: ScheduleInfo, version: RwSignal<u32>) -> impl IntoView {
    let on_change = move || version.update(|v| *v += 1);
    let toasts = expect_context::<Toasts>();
    let confirming = RwSignal::new(false);
    let s = schedule;
    let (id, paused) = (s.id.clone(), s.paused);
    let pause = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            spawn_local(async move {
                match api::pause_schedule(&id, !paused).await {
                    Ok(_) => on_change(),
                    Err(e) => toasts.show(format!("Could not change the schedule: {}", e.message)),
                }
            });
        }
    };
    let run = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            spawn_local(async move {
                match api::run_schedule(&id).await {
                    Ok(run) => toasts.show(format!("{} started: it will appear in Available Exports.", run.created.export.filename)),
                    Err(e) => toasts.show(format!("Could not run the schedule: {}", e.message)),
                }
            });
        }
    };
    let delete = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            spawn_local(async move {
                match api::delete_schedule(&id).await {
                    Ok(()) => {
                        toasts.show("Schedule deleted; its exports stay.");
                        on_change()
                    }
                    Err(e) => toasts.show(format!("Delete failed: {}", e.message)),
                }
            });
        }
    };
    let next = match (s.paused, s.next_run) {
        (true, _) => "Paused".to_string(),
        (false, Some(t)) => format::minute(t),
        (false, None) => "—".to_string(),
    };
    let last = s.last_period.map(|p| format!("{} – {}", format::minute(p.from), format::minute(p.to))).unwrap_or_else(|| "none yet".into());
    let filters = (!s.filters.is_empty()).then(|| s.filters.describe());
    view! {
        <tr class="schedule-row" data-id=s.id.clone()>
            <td><span class="badge assistant">{s.assistant.name.clone()}</span>{filters.map(|f| view! { <br/><span class="help">{f}</span> })}</td>
            <td>{s.every.as_str()}</td>
            <td>{s.time_zone.clone()}</td>
            <td class="next-run">{next}</td>
            <td>{last}</td>
            <td class="actions">
                <ConfirmDelete question="Delete this schedule?" confirming=confirming on_delete=Callback::new(delete)>
                    <button type="button" class="pause" on:click=pause.clone()>{if paused { "Resume" } else { "Pause" }}</button>
                    <button type="button" class="run" on:click=run.clone()>"Run now"</button>
                    <button type="button" class="delete" on:click=move |_| confirming.set(true)>"Delete"</button>
                </ConfirmDelete>
            </td>
        </tr>
    }
}
