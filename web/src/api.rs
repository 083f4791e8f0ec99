//! The one typed client of the server's API: every call checks `response.ok()` and turns
//! an error body into its message. Failed requests that may succeed later are retried
//! with backoff.

use convo_model::api::{
    AcceptInvite, AccountChange, AccountInfo, AccountList, CreateWebhook, CreatedAccount, CreatedToken, CreatedWebhook, DeliveryList,
    NewAccountRequest, NewTokenRequest, TokenList, WebhookList,
};
use convo_model::api::{
    AssistantList, AuditPage, BrowserReport, CompleteUpload, ConversationPage, CreateExportRequest, CreateScheduleRequest, CreatedExport,
    ErrorBody, ExportInfo, ExportList, ExportPreview, LoginRequest, Me, PartReceived, ProgressReport, ScheduleInfo, ScheduleList,
    ScheduleRun, Span, UpdateScheduleRequest,
};
use convo_model::{ExportFilters, Format, Redaction, TimeZone};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// 0 when the request never got an answer (network down).
    pub status: u16,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn network(e: impl std::fmt::Display) -> ApiError {
        ApiError { status: 0, message: format!("the server cannot be reached ({e})") }
    }

    /// An answer that is not what the API sends.
    pub fn unexpected(e: impl std::fmt::Display) -> ApiError {
        ApiError { status: 0, message: format!("unexpected answer: {e}") }
    }

    /// Worth another try: no answer, or the server had a passing problem.
    pub fn is_transient(&self) -> bool {
        self.status == 0 || self.status == 429 || self.status >= 500
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

async fn check(response: Response) -> ApiResult<Response> {
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let message = match response.json::<ErrorBody>().await {
        Ok(body) => body.error,
        Err(_) => format!("the server answered {status}"),
    };
    Err(ApiError { status, message })
}

async fn send(request: RequestBuilder) -> ApiResult<Response> {
    check(request.send().await.map_err(ApiError::network)?).await
}

async fn json<T: DeserializeOwned>(request: RequestBuilder) -> ApiResult<T> {
    send(request).await?.json().await.map_err(ApiError::unexpected)
}

/// Sends `body` as JSON and reads the JSON answer.
async fn post_json<B: Serialize, T: DeserializeOwned>(request: RequestBuilder, body: &B) -> ApiResult<T> {
    let request = request.json(body).map_err(|e| ApiError { status: 0, message: e.to_string() })?;
    send_json(request).await
}

/// Sends a prepared request and reads its JSON answer.
async fn send_json<T: DeserializeOwned>(request: gloo_net::http::Request) -> ApiResult<T> {
    check(request.send().await.map_err(ApiError::network)?).await?.json().await.map_err(ApiError::network)
}

/// Retries `call` on transient errors: after 0.5 s, 1 s, 2 s and 4 s.
pub async fn with_retry<T, F, Fut>(mut call: F) -> ApiResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ApiResult<T>>,
{
    let mut delay = 500;
    loop {
        match call().await {
            Err(e) if e.is_transient() && delay <= 4_000 => {
                gloo_timers::future::TimeoutFuture::new(delay).await;
                delay *= 2;
            }
            other => return other,
        }
    }
}

pub fn encode(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}

pub async fn me() -> ApiResult<Me> {
    json(Request::get("/api/me")).await
}

pub async fn login(email: &str, password: &str) -> ApiResult<Me> {
    post_json(Request::post("/api/login"), &LoginRequest { email: email.into(), password: password.into() }).await
}

pub async fn logout() -> ApiResult<()> {
    send(Request::post("/api/logout")).await.map(|_| ())
}

pub async fn assistants() -> ApiResult<AssistantList> {
    json(Request::get("/api/assistants")).await
}

/// Which page of an assistant's completed conversations to fetch (the Conversations
/// page; an export reads its own stream with [`export_stream`]).
pub struct PageQuery<'a> {
    pub assistant: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub cursor: Option<&'a str>,
    pub newest_first: bool,
    /// At most this many conversations.
    pub limit: Option<u32>,
    /// Only conversations these filters keep (as an export's).
    pub filters: &'a ExportFilters,
}

/// A page of an assistant's completed conversations.
pub async fn conversations(q: &PageQuery<'_>) -> ApiResult<ConversationPage> {
    let mut url = format!("/api/assistants/{}/conversations?from={}&to={}", encode(q.assistant), encode(q.from), encode(q.to));
    if let Some(c) = q.cursor {
        url.push_str(&format!("&cursor={}", encode(c)));
    }
    if q.newest_first {
        url.push_str("&order=newest");
    }
    if let Some(n) = q.limit {
        url.push_str(&format!("&limit={n}"));
    }
    url.push_str(&q.filters.to_query());
    let bytes = send(Request::get(&url)).await?.binary().await.map_err(ApiError::network)?;
    serde_json::from_slice(&bytes).map_err(ApiError::unexpected)
}

/// A ready export's file (its `content_url`), as bytes.
pub async fn export_file(content_url: &str) -> ApiResult<Vec<u8>> {
    send(Request::get(content_url)).await?.binary().await.map_err(ApiError::network)
}

/// The export's stream (`GET /api/exports/{id}/stream`), from `cursor` (a cursor line's),
/// as the browser's byte stream: read as it arrives (`pipeline/feed.rs`).
pub async fn export_stream(id: &str, cursor: Option<&str>) -> ApiResult<web_sys::ReadableStream> {
    let mut url = format!("/api/exports/{}/stream", encode(id));
    if let Some(c) = cursor {
        url.push_str(&format!("?cursor={}", encode(c)));
    }
    let response = send(Request::get(&url)).await?;
    response.body().ok_or_else(|| ApiError::network("the stream had no body"))
}

pub async fn preview(assistant: &str, span: Span, filters: &ExportFilters, redaction: &Redaction) -> ApiResult<ExportPreview> {
    let url = format!(
        "/api/exports/preview?assistant_id={}&{}{}{}",
        encode(assistant),
        span.to_query(),
        filters.to_query(),
        redaction.to_query()
    );
    json(Request::get(&url)).await
}

/// Creates an export of `assistant` over `span`, narrowed by `filters`, in `format`,
/// masking what `redact` says, its times shown in `time_zone`.
pub async fn create_export(
    assistant: &str,
    span: Span,
    filters: ExportFilters,
    format: Format,
    redact: Redaction,
    time_zone: Option<TimeZone>,
) -> ApiResult<CreatedExport> {
    let (days, since_last) = span.to_fields();
    let body = CreateExportRequest {
        assistant_id: assistant.into(),
        days,
        since_last,
        filters,
        conversation_ids: Vec::new(),
        redact,
        format,
        time_zone,
        render: None,
    };
    post_json(Request::post("/api/exports"), &body).await
}

/// Keeps (`true`) or releases an export.
/// Keeps the export: neither evicted nor expired.
pub async fn hold(id: &str) -> ApiResult<ExportInfo> {
    json(Request::post(&format!("/api/exports/{}/hold", encode(id)))).await
}

/// Releases a kept export.
pub async fn release(id: &str) -> ApiResult<ExportInfo> {
    json(Request::delete(&format!("/api/exports/{}/hold", encode(id)))).await
}

pub async fn schedules() -> ApiResult<ScheduleList> {
    json(Request::get("/api/schedules")).await
}

pub async fn create_schedule(request: &CreateScheduleRequest) -> ApiResult<ScheduleInfo> {
    post_json(Request::post("/api/schedules"), request).await
}

pub async fn pause_schedule(id: &str, paused: bool) -> ApiResult<ScheduleInfo> {
    let request = Request::patch(&format!("/api/schedules/{}", encode(id)))
        .json(&UpdateScheduleRequest { paused })
        .map_err(|e| ApiError { status: 0, message: e.to_string() })?;
    send_json(request).await
}

pub async fn delete_schedule(id: &str) -> ApiResult<()> {
    send(Request::delete(&format!("/api/schedules/{}", encode(id)))).await.map(|_| ())
}

pub async fn run_schedule(id: &str) -> ApiResult<ScheduleRun> {
    json(Request::post(&format!("/api/schedules/{}/run", encode(id)))).await
}

pub async fn activity(cursor: Option<&str>) -> ApiResult<AuditPage> {
    let url = match cursor {
        Some(c) => format!("/api/audit?cursor={}", encode(c)),
        None => "/api/audit".into(),
    };
    json(Request::get(&url)).await
}

pub async fn exports() -> ApiResult<ExportList> {
    json(Request::get("/api/exports")).await
}

pub async fn delete_export(id: &str) -> ApiResult<()> {
    send(Request::delete(&format!("/api/exports/{}", encode(id)))).await.map(|_| ())
}

pub async fn report_progress(id: &str, done: i64) -> ApiResult<ExportInfo> {
    post_json(Request::post(&format!("/api/exports/{}/progress", encode(id))), &ProgressReport { done }).await
}

pub async fn report_failure(id: &str, reason: &str) -> ApiResult<ExportInfo> {
    post_json(Request::post(&format!("/api/exports/{}/failure", encode(id))), &BrowserReport { reason: reason.into() }).await
}

/// Uploads part `n` of an export's file with its SHA-256 (`Content-Digest`, RFC 9530).
pub async fn upload_part(id: &str, n: u32, bytes: &js_sys::Uint8Array, digest_b64: &str) -> ApiResult<PartReceived> {
    let request = Request::put(&format!("/api/exports/{}/parts/{n}", encode(id)))
        .header("Content-Type", "application/octet-stream")
        .header("Content-Digest", &format!("sha-256=:{digest_b64}:"))
        .body(bytes)
        .map_err(|e| ApiError { status: 0, message: e.to_string() })?;
    send_json(request).await
}

/// The file is parts 1 to `parts`: the server joins them and the export is ready.
pub async fn complete(id: &str, parts: u32) -> ApiResult<ExportInfo> {
    post_json(Request::post(&format!("/api/exports/{}/complete", encode(id))), &CompleteUpload { parts: i64::from(parts) }).await
}

pub async fn accept_invite(token: &str, password: &str) -> ApiResult<Me> {
    post_json(Request::post("/api/invite"), &AcceptInvite { token: token.into(), password: password.into() }).await
}

pub async fn admin_accounts() -> ApiResult<AccountList> {
    json(Request::get("/api/admin/accounts")).await
}

pub async fn add_account(request: &NewAccountRequest) -> ApiResult<CreatedAccount> {
    post_json(Request::post("/api/admin/accounts"), request).await
}

pub async fn change_account(email: &str, change: AccountChange) -> ApiResult<AccountInfo> {
    let request = Request::patch(&format!("/api/admin/accounts/{}", encode(email)))
        .json(&change)
        .map_err(|e| ApiError { status: 0, message: e.to_string() })?;
    send_json(request).await
}

pub async fn grant(email: &str, assistant: &str) -> ApiResult<AccountInfo> {
    json(Request::put(&format!("/api/admin/accounts/{}/grants/{}", encode(email), encode(assistant)))).await
}

pub async fn revoke(email: &str, assistant: &str) -> ApiResult<AccountInfo> {
    json(Request::delete(&format!("/api/admin/accounts/{}/grants/{}", encode(email), encode(assistant)))).await
}

pub async fn admin_tokens() -> ApiResult<TokenList> {
    json(Request::get("/api/admin/tokens")).await
}

pub async fn create_token(request: &NewTokenRequest) -> ApiResult<CreatedToken> {
    post_json(Request::post("/api/admin/tokens"), request).await
}

pub async fn revoke_token(id: &str) -> ApiResult<()> {
    send(Request::delete(&format!("/api/admin/tokens/{}", encode(id)))).await.map(|_| ())
}

pub async fn admin_activity(cursor: Option<&str>) -> ApiResult<AuditPage> {
    let url = match cursor {
        Some(c) => format!("/api/admin/audit?cursor={}", encode(c)),
        None => "/api/admin/audit".into(),
    };
    json(Request::get(&url)).await
}

pub async fn webhooks() -> ApiResult<WebhookList> {
    json(Request::get("/api/webhooks")).await
}

pub async fn create_webhook(request: &CreateWebhook) -> ApiResult<CreatedWebhook> {
    post_json(Request::post("/api/webhooks"), request).await
}

pub async fn delete_webhook(id: &str) -> ApiResult<()> {
    send(Request::delete(&format!("/api/webhooks/{}", encode(id)))).await.map(|_| ())
}

pub async fn deliveries(id: &str) -> ApiResult<DeliveryList> {
    json(Request::get(&format!("/api/webhooks/{}/deliveries", encode(id)))).await
}
