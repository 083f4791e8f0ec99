//! Warms the export's code up before the first click: the browser first runs WASM with
//! its quick baseline compiler and optimises a function only once it has run a while,
//! so the first export of a session ran at a third of the speed of later ones (1,000
//! conversations: 6.7 µs a message against 2.3 at 1,000,000, the click_to_ready bench).
//! Reading and rendering a few throwaway conversations once the app has painted makes
//! the first real export start on optimised code.

use super::lines::{Lines, Read};
use super::yield_to_browser;
use convo_model::api::{write_conversation, write_cursor};
use convo_model::{Channel, Conversation, ConversationStatus, Message, Role};
use convo_render::{ExportHeader, ExportRenderer};

/// Rounds of throwaway conversations, a task each.
const ROUNDS: usize = 6;
const CONVERSATIONS: usize = 25;
const MESSAGES: usize = 20;

/// Runs the warm-up in the background, a round per task.
pub(super) fn warm_up() {
    wasm_bindgen_futures::spawn_local(async {
        for round in 0..ROUNDS {
            yield_to_browser().await;
            let _ = round_trip(round);
        }
    });
}

/// One round: conversations written as stream lines, read back and rendered, as an
/// export does; the file is thrown away.
fn round_trip(round: usize) -> Option<usize> {
    let at: convo_model::Timestamp = "2026-01-01T00:00:00Z".parse().ok()?;
    let mut bytes = Vec::new();
    for n in 0..CONVERSATIONS {
        let messages: Vec<Message> = (0..MESSAGES)
            .map(|m| Message {
                role: if m % 2 == 0 { Role::User } else { Role::Assistant },
                content: format!("Hello **{round}**, order #{n}-{m}: see [the policy](https://example.com/returns).\n\n- one\n- two"),
                at: at + chrono::Duration::seconds(m as i64),
            })
            .collect();
        let c = Conversation {
            id: format!("warm-{n}"),
            assistant_id: "warm".into(),
            channel: Channel::known().next()?,
            contact: None,
            started_at: at,
            ended_at: Some(at + chrono::Duration::minutes(5)),
            status: ConversationStatus::Completed,
            summary: Some("warm".into()),
            messages,
        };
        write_conversation(&mut bytes, &c).ok()?;
    }
    write_cursor(&mut bytes, None).ok()?;
    let mut lines = Lines::default();
    lines.room(bytes.len()).copy_from_slice(&bytes);
    let mut renderer = ExportRenderer::new(ExportHeader::new("warm", None, at, None));
    let mut body = String::new();
    while let Ok(Read::Conversation(c)) = lines.next() {
        renderer.push_page(std::slice::from_ref(&*c), &mut body);
    }
    let finished = renderer.finish();
    Some(body.len() + finished.head.len() + finished.tail.len())
}
