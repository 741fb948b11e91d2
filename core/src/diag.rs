//! Diagnostics: errors and warnings that point into configuration files.
//!
//! Everything that reads user input reports through these instead of panicking. A diagnostic
//! carries a byte range into a source file; [`Sources`] turns it into `file:line:col` and a
//! miette snippet.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A place in a source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSpan {
    pub file: FileId,
    pub bytes: Range<usize>,
}

pub type FileId = usize;

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub span: Option<SourceSpan>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            span: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary, detail)
        }
    }

    pub fn at(mut self, span: Option<SourceSpan>) -> Diagnostic {
        if self.span.is_none() {
            self.span = span;
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A list of diagnostics; the `Err` side of everything that reads configuration.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Err(self)` when any error was collected.
    pub fn into_result(self) -> Result<(), Diagnostics> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(())
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{}: {}", d.summary, d.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// One loaded source file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as shown to the user (relative to the working directory where possible).
    pub name: String,
    pub text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceFile {
        let text: Arc<str> = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= byte).max(1);
        let start = self.line_starts[line - 1];
        let col = self
            .text
            .get(start..byte.min(self.text.len()))
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        (line, col)
    }
}

/// Every source file of a configuration, addressed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        self.files.len() - 1
    }

    /// `file:line:col` of a span.
    pub fn location(&self, span: &SourceSpan) -> String {
        match self.files.get(span.file) {
            Some(f) => {
                let (l, c) = f.line_col(span.bytes.start);
                format!("{}:{l}:{c}", f.name)
            }
            None => "<unknown>".into(),
        }
    }

    /// Terraform's JSON `range` of a span: filename, start and end with line, column, byte.
    pub fn range_json(&self, span: &SourceSpan) -> Option<serde_json::Value> {
        let f = self.files.get(span.file)?;
        let pos = |b: usize| {
            let (line, column) = f.line_col(b);
            serde_json::json!({"line": line, "column": column, "byte": b})
        };
        Some(
            serde_json::json!({"filename": f.name, "start": pos(span.bytes.start), "end": pos(span.bytes.end)}),
        )
    }

    /// Renders diagnostics as Terraform-style blocks with a miette source snippet.
    pub fn render(&self, diags: &Diagnostics, color: bool) -> String {
        let mut out = String::new();
        for d in &diags.0 {
            out.push_str(&self.render_one(d, color));
            out.push('\n');
        }
        out
    }

    fn render_one(&self, d: &Diagnostic, color: bool) -> String {
        let kind = match d.severity {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
        };
        let mut head = format!("{kind}: {}", d.summary);
        if let Some(span) = &d.span {
            head.push_str(&format!("\n\n  on {}", self.location(span)));
        }
        let Some((span, file)) = d
            .span
            .as_ref()
            .and_then(|s| self.files.get(s.file).map(|f| (s, f)))
        else {
            return format!("{head}\n\n{}\n", d.detail);
        };
        let report = SnippetReport {
            detail: d.detail.clone(),
            src: miette::NamedSource::new(file.name.clone(), file.text.to_string()),
            span: (
                span.bytes.start.min(file.text.len()),
                span.bytes
                    .len()
                    .max(1)
                    .min(file.text.len().saturating_sub(span.bytes.start).max(1)),
            )
                .into(),
        };
        let handler = if color {
            miette::GraphicalReportHandler::new()
        } else {
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        };
        let mut snippet = String::new();
        if handler.render_report(&mut snippet, &report).is_err() {
            snippet = d.detail.clone();
        }
        format!("{head}\n{snippet}")
    }
}

#[derive(Debug)]
struct SnippetReport {
    detail: String,
    src: miette::NamedSource<String>,
    span: miette::SourceSpan,
}

impl fmt::Display for SnippetReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for SnippetReport {}

impl miette::Diagnostic for SnippetReport {
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(None, self.span),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let f = SourceFile::new("main.tf", "a = 1\nbb = 2\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(6), (2, 1));
        assert_eq!(f.line_col(9), (2, 4));
    }

    #[test]
    fn rendering_names_file_line_col() {
        let mut s = Sources::default();
        let id = s.add(SourceFile::new("main.tf", "x = \"a\"\ny = nope\n"));
        let d = Diagnostic::error("Undeclared reference", "nope is not declared").at(Some(
            SourceSpan {
                file: id,
                bytes: 12..16,
            },
        ));
        let text = s.render(&Diagnostics::from(d), false);
        assert!(text.contains("main.tf:2:5"), "{text}");
        assert!(text.contains("nope is not declared"), "{text}");
    }
}
