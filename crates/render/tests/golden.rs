//! The same input and export time give the same bytes: natively, and compiled to wasm32
//! and run in headless Chromium (`wasm-bindgen-test`), against one golden file.

use convo_model::Conversation;
use convo_render::{ExportHeader, ExportRenderer};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const FIXTURE: &str = include_str!("fixtures/conversations.jsonl");
const GOLDEN: &str = include_str!("golden/export.html");

/// Renders the fixture in pages of two, as the server and the browser do.
fn render_fixture() -> String {
    let conversations: Vec<Conversation> = FIXTURE.lines().map(|l| serde_json::from_str(l).expect("fixture line")).collect();
    let mut renderer = ExportRenderer::new(ExportHeader::new(
        "Support <Bot> \u{1F916}",
        Some("support-bot".into()),
        "2026-11-27T12:00:00Z".parse().unwrap(),
        Some(convo_model::TimeRange { from: "2026-10-28T12:00:00Z".parse().unwrap(), to: "2026-11-27T12:00:00Z".parse().unwrap() }),
    ));
    let mut body = String::new();
    for page in conversations.chunks(2) {
        renderer.push_page(page, &mut body);
    }
    let parts = renderer.finish();
    format!("{}{}{}", parts.head, body, parts.tail)
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn same_bytes_as_the_golden_file() {
    let html = render_fixture();
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/export.html"), &html).unwrap();
        return;
    }
    assert!(html == GOLDEN, "export differs from tests/golden/export.html (run with BLESS=1 to update after review)");
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rendering_twice_gives_the_same_bytes() {
    assert_eq!(render_fixture(), render_fixture());
}
