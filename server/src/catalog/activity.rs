//! The activity trail of an account (its exports, and what admins did to it), page by
//! page and as CSV; every account's, for admins.

use super::{Catalog, CatalogError, Result};
use crate::store::AccountRef;
use bytes::Bytes;
use convo_model::api::{AuditEvent, AuditPage};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

/// Events per page.
const PAGE: i64 = 50;

impl Catalog {
    /// A page of the account's events, newest first, after `cursor` (from the last page).
    pub async fn activity(&self, account: &AccountRef, cursor: Option<&str>) -> Result<AuditPage> {
        self.activity_page(Some(account.id), cursor).await
    }

    /// A page of every account's events, each with whose it is: the admin trail.
    pub async fn every_accounts_activity(&self, cursor: Option<&str>) -> Result<AuditPage> {
        self.activity_page(None, cursor).await
    }

    async fn activity_page(&self, account: Option<i64>, cursor: Option<&str>) -> Result<AuditPage> {
        let before = match cursor {
            Some(c) => Some(c.parse::<i64>().map_err(|_| CatalogError::BadInput("cursor is not one this server gave out".into()))?),
            None => None,
        };
        let (events, next) = self.store.audit_page(account, before, PAGE).await?;
        Ok(AuditPage { events, next_cursor: next.map(|n| n.to_string()) })
    }

    /// Every event of the account, newest first, as CSV (RFC 4180), streamed: one page
    /// of events in memory at a time, whatever the trail's length.
    pub fn activity_csv(&self, account: &AccountRef) -> BoxStream<'static, std::io::Result<Bytes>> {
        /// Where the stream is: the header to send, a page to read, or done.
        enum Next {
            Header,
            Page(Option<i64>),
            Done,
        }
        let (catalog, account_id) = (self.clone(), account.id);
        futures_util::stream::unfold(Next::Header, move |next| {
            let catalog = catalog.clone();
            async move {
                let before = match next {
                    Next::Header => return Some((Ok(Bytes::from_static(CSV_HEADER.as_bytes())), Next::Page(None))),
                    Next::Page(before) => before,
                    Next::Done => return None,
                };
                match catalog.store.audit_page(Some(account_id), before, CSV_PAGE).await {
                    Ok((events, next)) => {
                        let mut csv = String::new();
                        for e in &events {
                            push_row(&mut csv, e);
                        }
                        Some((Ok(Bytes::from(csv)), next.map_or(Next::Done, |n| Next::Page(Some(n)))))
                    }
                    Err(e) => Some((Err(std::io::Error::other(e)), Next::Done)),
                }
            }
        })
        .boxed()
    }
}

const CSV_HEADER: &str = "at,actor,action,export_id,filename,details\r\n";
/// Events per page of the CSV.
const CSV_PAGE: i64 = 1000;

fn push_row(csv: &mut String, e: &AuditEvent) {
    let at = e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let fields = [
        at.as_str(),
        &e.actor,
        e.action.as_str(),
        e.export_id.as_deref().unwrap_or(""),
        e.filename.as_deref().unwrap_or(""),
        e.details.as_deref().unwrap_or(""),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            csv.push(',');
        }
        push_field(csv, field);
    }
    csv.push_str("\r\n");
}

/// One CSV field: quoted when it must be, and never read as a formula by a spreadsheet.
fn push_field(csv: &mut String, field: &str) {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || field.contains([',', '"', '\n', '\r']);
    if quote {
        csv.push('"');
        if formula {
            csv.push('\'');
        }
        csv.push_str(&field.replace('"', "\"\""));
        csv.push('"');
    } else {
        csv.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        let mut csv = String::new();
        super::push_field(&mut csv, "plain");
        csv.push('|');
        super::push_field(&mut csv, "a, \"b\"");
        csv.push('|');
        super::push_field(&mut csv, "=HYPERLINK(\"x\")");
        assert_eq!(csv, "plain|\"a, \"\"b\"\"\"|\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
