//! The upload worker's side: the parts the export worker hands over are hashed (each
//! part, and the conversations in it for the manifest: `hashing.rs`), sent, and kept
//! while the file is small; each stored part's buffer goes back for the next part.

use super::super::parts::{Kept, upload_array};
use super::super::timing::{Cost, Phase, Spent};
use super::hashing::{BodyHasher, warm_up};
use super::{Beside, FromUpload, Span, ToUpload, beside_as, connect, from_wire, opened, post_to_other};
use convo_model::Format;
use convo_model::api::HEAD_PART;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::JsValue;

/// An export whose parts come here.
struct Uploading {
    format: Format,
    kept: Kept,
    /// The conversations' SHA-256, hashed from the body parts as they pass; taken when
    /// the export worker asks for the digests.
    conversations: Option<BodyHasher>,
    spent: Spent,
}

thread_local! {
    static UPLOADING: RefCell<HashMap<String, Uploading>> = RefCell::new(HashMap::new());
}

/// Becomes the upload worker, talking to the export worker over `port`, and warms the
/// hashing up.
pub(super) fn join(port: web_sys::MessagePort) {
    connect(port, received);
    warm_up();
}

/// A message from the export worker.
fn received(data: &JsValue) {
    let Some((asked, beside)) = opened::<ToUpload>(data) else { return };
    match asked {
        ToUpload::Begin { id, format } => UPLOADING.with(|u| {
            let uploading = Uploading { format, kept: Kept::default(), conversations: Some(BodyHasher::new()), spent: Spent::default() };
            u.borrow_mut().insert(id, uploading);
        }),
        ToUpload::Part { id, n, spans } => send_part(id, n, spans, beside_as(&beside)),
        ToUpload::Finish { id } => send_digests(id),
        ToUpload::Forget { id } => {
            UPLOADING.with(|u| u.borrow_mut().remove(&id));
        }
    }
}

/// What to hand back once a part is stored.
enum Back {
    /// The part's buffer, for the next part.
    Buffer,
    /// Nothing: the part is kept.
    Nothing,
    /// The head, the last part: the file when it was kept whole, and this worker's cost.
    Last(Option<web_sys::Blob>, Cost),
}

/// Hashes and sends part `n`, keeps it while the file is small, and tells the export
/// worker when it is stored. The export worker bounds how many are on their way. The
/// conversations in it are hashed first.
fn send_part(id: String, n: u32, spans: Vec<Span>, part: Option<js_sys::Uint8Array>) {
    let failed = |message: &str| FromUpload::Failed { id: id.clone(), n, status: 0, message: message.into() };
    let Some(part) = part else { return post_to_other(&failed("the export worker handed over a part without bytes"), Beside::Nothing) };
    let back = UPLOADING.with(|u| {
        let mut u = u.borrow_mut();
        let uploading = u.get_mut(&id)?;
        if let Some(hasher) = &mut uploading.conversations {
            let t = js_sys::Date::now();
            hasher.expect(from_wire(spans));
            hasher.feed(&part);
            uploading.spent.add(Phase::Digests, t);
        }
        let kept = uploading.kept.keep(n, &part);
        // The head is sent last: every part is here.
        if n == HEAD_PART as u32 {
            let uploading = u.remove(&id)?;
            let blob = uploading.kept.blob(uploading.format.media_type());
            return Some(Back::Last(blob, Cost::in_worker(uploading.spent)));
        }
        Some(if kept { Back::Nothing } else { Back::Buffer })
    });
    let Some(back) = back else { return post_to_other(&failed("the upload worker was not told of this export"), Beside::Nothing) };
    wasm_bindgen_futures::spawn_local(async move {
        let stored = upload_array(id.clone(), n, part.clone()).await;
        let Err(e) = stored else {
            return match back {
                Back::Buffer => post_to_other(&FromUpload::Stored { id, n, cost: None }, Beside::Bytes(&part)),
                Back::Nothing => post_to_other(&FromUpload::Stored { id, n, cost: None }, Beside::Nothing),
                Back::Last(blob, cost) => {
                    let beside = blob.as_ref().map_or(Beside::Nothing, Beside::Blob);
                    post_to_other(&FromUpload::Stored { id, n, cost: Some(cost) }, beside)
                }
            };
        };
        post_to_other(&FromUpload::Failed { id, n, status: e.status, message: e.message }, Beside::Nothing)
    });
}

/// Sends the export worker its conversations' digests, once they are hashed.
fn send_digests(id: String) {
    let hasher = UPLOADING.with(|u| u.borrow_mut().get_mut(&id).and_then(|u| u.conversations.take()));
    wasm_bindgen_futures::spawn_local(async move {
        let digests = match hasher {
            Some(hasher) => hasher.finish().await,
            None => Err("the upload worker was not hashing this export's conversations".to_string()),
        };
        match digests {
            Ok(digests) => {
                let bytes = js_sys::Uint8Array::from(digests.as_flattened());
                post_to_other(&FromUpload::Digests { id }, Beside::Bytes(&bytes))
            }
            Err(message) => post_to_other(&FromUpload::DigestsFailed { id, message }, Beside::Nothing),
        }
    });
}
