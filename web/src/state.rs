//! What components share: the session, the toasts, and the exports this tab renders.

use crate::pipeline::Cancel;
use convo_model::api::Me;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;

/// Who is using the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Session {
    /// Not known yet: `GET /api/me` is on its way.
    Loading,
    SignedOut,
    SignedIn(Me),
}

/// The pages of the sidebar, each with its address (`#schedules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Conversations,
    Schedules,
    Activity,
    Account,
    /// For admins only.
    Administration,
}

impl Page {
    pub const ALL: [Page; 5] = [Page::Conversations, Page::Schedules, Page::Activity, Page::Account, Page::Administration];

    pub fn hash(self) -> &'static str {
        match self {
            Page::Conversations => "#conversations",
            Page::Schedules => "#schedules",
            Page::Activity => "#activity",
            Page::Account => "#account",
            Page::Administration => "#administration",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Page::Conversations => "Conversations",
            Page::Schedules => "Schedules",
            Page::Activity => "Activity",
            Page::Account => "Account",
            Page::Administration => "Administration",
        }
    }

    /// The pages the signed-in account's sidebar has.
    pub fn for_account(me: &Me) -> Vec<Page> {
        Page::ALL.into_iter().filter(|p| *p != Page::Administration || me.admin).collect()
    }

    /// The page the address names, of those the account has (Conversations else).
    pub fn from_location(me: &Me) -> Page {
        let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
        Page::for_account(me).into_iter().find(|p| p.hash() == hash).unwrap_or(Page::Conversations)
    }
}

/// Short messages at the bottom of the page that go away by themselves.
#[derive(Clone, Copy)]
pub struct Toasts(pub RwSignal<Vec<(u32, String)>>);

impl Toasts {
    /// How long a toast stays.
    const SHOWN_MS: u32 = 6_000;

    pub fn new() -> Toasts {
        Toasts(RwSignal::new(Vec::new()))
    }

    pub fn show(&self, message: impl Into<String>) {
        let id = (js_sys::Math::random() * 1e9) as u32;
        self.0.update(|t| t.push((id, message.into())));
        let list = self.0;
        spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(Self::SHOWN_MS).await;
            list.update(|t| t.retain(|(i, _)| *i != id));
        });
    }
}

/// Files this tab rendered and still holds (small ones): Download saves them at once.
#[derive(Clone, Copy)]
pub struct Rendered(StoredValue<HashMap<String, web_sys::Blob>, LocalStorage>);

impl Rendered {
    pub fn new() -> Rendered {
        Rendered(StoredValue::new_local(HashMap::new()))
    }

    pub fn keep(&self, id: &str, blob: web_sys::Blob) {
        self.0.update_value(|m| {
            m.insert(id.to_string(), blob);
        });
    }

    pub fn get(&self, id: &str) -> Option<web_sys::Blob> {
        self.0.with_value(|m| m.get(id).cloned())
    }

    pub fn forget(&self, id: &str) {
        self.0.update_value(|m| {
            m.remove(id);
        });
    }
}

/// Exports this tab is rendering: messages done so far, and how to stop each.
#[derive(Clone, Copy)]
pub struct Running(pub RwSignal<HashMap<String, (i64, Cancel)>>);

impl Running {
    pub fn new() -> Running {
        Running(RwSignal::new(HashMap::new()))
    }

    /// Messages this tab has rendered of `id`, if it renders it.
    pub fn done(&self, id: &str) -> Option<i64> {
        self.0.with(|m| m.get(id).map(|(done, _)| *done))
    }

    pub fn start(&self, id: &str, cancel: Cancel) {
        self.0.update(|m| {
            m.insert(id.to_string(), (0, cancel));
        });
    }

    pub fn set_done(&self, id: &str, done: i64) {
        self.0.update(|m| {
            if let Some(entry) = m.get_mut(id) {
                entry.0 = done;
            }
        });
    }

    pub fn finish(&self, id: &str) {
        self.0.update(|m| {
            m.remove(id);
        });
    }

    /// The exports this tab is rendering.
    pub fn ids(&self) -> Vec<String> {
        self.0.with_untracked(|m| m.keys().cloned().collect())
    }

    /// Stops this tab's rendering of `id`, if any.
    pub fn cancel(&self, id: &str) {
        if let Some((_, cancel)) = self.0.with_untracked(|m| m.get(id).cloned()) {
            cancel.cancel();
        }
    }
}
