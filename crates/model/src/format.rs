//! The file formats an export can be written in: the self-contained HTML page, or, for
//! other programs and plain-text readers, JSON Lines, CSV and Markdown.

use serde::{Deserialize, Serialize};

/// What an export's file is. The same rendering crate writes each, in browser and server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The searchable, printable page (the default).
    #[default]
    Html,
    /// One conversation a line in the import format, after a manifest line.
    Jsonl,
    /// One message a row (RFC 4180), and a manifest row at the end.
    Csv,
    /// One readable document with a front matter that holds the manifest.
    Markdown,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Html, Format::Jsonl, Format::Csv, Format::Markdown];

    /// As the API and the database spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
        }
    }

    /// The filename's extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Markdown => "md",
        }
    }

    /// The `Content-Type` the file is served and saved with.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Jsonl => "application/x-ndjson; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::Markdown => "text/markdown; charset=utf-8",
        }
    }

    /// How a person calls it (the Export dialog, the catalog).
    pub fn label(self) -> &'static str {
        match self {
            Format::Html => "HTML page",
            Format::Jsonl => "JSON Lines",
            Format::Csv => "CSV",
            Format::Markdown => "Markdown",
        }
    }

    pub fn is_html(&self) -> bool {
        *self == Format::Html
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown format `{s}`: expected one of html, jsonl, csv, markdown"))
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn every_format_reads_back_from_its_name_and_an_unknown_one_is_named() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
            assert_eq!(serde_json::to_string(&f).unwrap(), format!("\"{}\"", f.as_str()));
        }
        assert!("xml".parse::<Format>().unwrap_err().contains("`xml`"));
        assert!(serde_json::from_str::<Format>("\"pdf\"").unwrap_err().to_string().contains("pdf"));
    }
}
