//! Demo data for a first start: two accounts that see different assistants, several
//! hundred conversations over the last 400 days in every channel and many languages,
//! and internal fields (system prompts, tool output, tokens, cost, model, notes,
//! assistant configuration) that must never be served.

use crate::store::Store;
use convo_model::Timestamp;
use std::io::Write;

pub struct DemoAccount {
    pub email: &'static str,
    pub password: &'static str,
    pub name: &'static str,
    pub assistants: &'static [(&'static str, &'static str)],
    /// An admin: its sidebar has Administration.
    pub admin: bool,
}

pub const DEMO_ACCOUNTS: [DemoAccount; 2] = [
    DemoAccount {
        email: "demo@example.com",
        password: "demo-password",
        name: "Dana Demo",
        assistants: &[("support-bot", "Support Bot"), ("sales-assistant", "Sales Assistant"), ("store-helper-ar", "مساعد المتجر")],
        admin: true,
    },
    DemoAccount {
        email: "other@example.com",
        password: "other-password",
        name: "Oscar Other",
        assistants: &[("onboarding-guide", "Onboarding Guide")],
        admin: false,
    },
];

/// Seeds the demo data through the importer, as an operator's import would.
pub async fn seed(store: &Store, data_dir: &std::path::Path, now: Timestamp) -> anyhow::Result<()> {
    let file = tempfile::Builder::new().prefix("demo-").suffix(".jsonl").tempfile_in(data_dir)?;
    {
        let mut w = std::io::BufWriter::new(file.as_file());
        let mut seed = 1;
        for account in &DEMO_ACCOUNTS {
            for (assistant_id, _) in account.assistants {
                // Short, medium and long threads.
                for (batch, (count, messages)) in [(90usize, 4usize), (70, 12), (40, 30)].into_iter().enumerate() {
                    seed += 1;
                    let spec = convo_demo::Spec {
                        assistant_id: assistant_id.to_string(),
                        conversations: count,
                        messages_per_conversation: messages,
                        end: now,
                        span_days: 400,
                        seed,
                    };
                    for mut c in convo_demo::conversations(&spec) {
                        c.id = format!("{assistant_id}-{batch}-{}", c.id.rsplit('-').next().unwrap_or("0"));
                        writeln!(w, "{}", convo_demo::import_line(&c))?;
                    }
                }
            }
        }
        // One very long thread, ended yesterday.
        let spec = convo_demo::Spec {
            assistant_id: "support-bot".into(),
            conversations: 1,
            messages_per_conversation: 400,
            end: now - chrono::Duration::days(1),
            span_days: 1,
            seed: 99,
        };
        for mut c in convo_demo::conversations(&spec) {
            c.id = "support-bot-long-thread".into();
            c.status = convo_model::ConversationStatus::Completed;
            c.ended_at = c.messages.last().map(|m| m.at);
            writeln!(w, "{}", convo_demo::import_line(&c))?;
        }
        w.flush()?;
    }
    crate::import::import_file(store, file.path(), now, &indicatif::ProgressBar::hidden()).await?;
    for account in &DEMO_ACCOUNTS {
        let hash = crate::auth::hash_password(account.password);
        let id = store.create_account(account.email, account.name, &hash, now).await?;
        if account.admin {
            store.set_admin(id, Some(now)).await?;
        }
        for (assistant_id, name) in account.assistants {
            let pk = store.ensure_assistant(assistant_id, Some(name), now).await?;
            store.set_assistant_config(assistant_id, r#"{"system_prompt":"INTERNAL assistant configuration","temperature":0.2}"#).await?;
            store.grant(id, pk).await?;
        }
    }
    Ok(())
}
