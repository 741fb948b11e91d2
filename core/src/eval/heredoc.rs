//! `<<-` heredocs the way HCL (and so Terraform) reads them: strip markers (`~`) apply
//! first, to the literal on the same line as the directive, and only then is the common
//! indentation removed — from lines that start with literal text. hcl-edit dedents before
//! strip markers apply, which gives other text around `%{for ~}` directives.

/// A piece of heredoc source: literal text (one line at most, newline included), or a
/// whole `${...}` / `%{...}` with its strip markers.
enum Part {
    Lit(String),
    Tag {
        text: String,
        left: bool,
        right: bool,
    },
}

/// The end (exclusive) of the tag starting at `start` (`${` or `%{`), honouring nested
/// braces and quoted strings.
fn tag_end(chars: &[char], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start + 1;
    let mut in_str = false;
    while i < chars.len() {
        let c = chars[i];
        if in_str {
            match c {
                '\\' => i += 1,
                '"' => in_str = false,
                _ => {}
            }
        } else {
            match c {
                '"' => in_str = true,
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    chars.len()
}

fn parts(raw: &str) -> Vec<Part> {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let escaped = (c == '$' || c == '%') && next == Some(c) && chars.get(i + 2) == Some(&'{');
        if escaped {
            lit.push(c);
            lit.push(c);
            lit.push('{');
            i += 3;
            continue;
        }
        if (c == '$' || c == '%') && next == Some('{') {
            if !lit.is_empty() {
                out.push(Part::Lit(std::mem::take(&mut lit)));
            }
            let end = tag_end(&chars, i);
            let text: String = chars[i..end].iter().collect();
            let left = text.get(2..3) == Some("~");
            let right = text.len() >= 3 && text.ends_with("~}");
            out.push(Part::Tag { text, left, right });
            i = end;
            continue;
        }
        lit.push(c);
        if c == '\n' {
            out.push(Part::Lit(std::mem::take(&mut lit)));
        }
        i += 1;
    }
    if !lit.is_empty() {
        out.push(Part::Lit(lit));
    }
    out
}

/// The body of a `<<-` heredoc (the lines between the markers, as written) turned into a
/// plain template with HCL's results for strip markers and indentation.
pub fn flush(raw: &str) -> String {
    let mut parts = parts(raw);
    // Strip markers act on the adjacent literal only (one line at most).
    for i in 0..parts.len() {
        let strip_start = i > 0 && matches!(parts[i - 1], Part::Tag { right: true, .. });
        let strip_end = matches!(parts.get(i + 1), Some(Part::Tag { left: true, .. }));
        if let Part::Lit(s) = &mut parts[i] {
            if strip_start {
                *s = s.trim_start().to_string();
            }
            if strip_end {
                *s = s.trim_end().to_string();
            }
        }
    }
    // Line starts: the first part, and every part after a literal that ends a line.
    let mut starts = Vec::new();
    let mut at_start = true;
    for (i, p) in parts.iter().enumerate() {
        if at_start {
            starts.push(i);
        }
        at_start = matches!(p, Part::Lit(s) if s.ends_with('\n'));
    }
    let indent_of = |s: &str| s.chars().take_while(|c| *c == ' ' || *c == '\t').count();
    let min = starts
        .iter()
        .filter_map(|&i| match &parts[i] {
            // Blank lines do not count; a line that starts with a tag has no indentation.
            Part::Lit(s) if s.trim().is_empty() && s.ends_with('\n') => None,
            Part::Lit(s) if s.trim().is_empty() => Some(s.len()),
            Part::Lit(s) => Some(indent_of(s)),
            Part::Tag { .. } => Some(0),
        })
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(raw.len());
    let mut start_set: std::collections::HashSet<usize> = starts.into_iter().collect();
    for (i, p) in parts.into_iter().enumerate() {
        match p {
            Part::Lit(s) if start_set.remove(&i) => {
                let cut = indent_of(&s).min(min);
                out.push_str(&s[cut..]);
            }
            Part::Lit(s) => out.push_str(&s),
            Part::Tag { text, .. } => {
                // Markers already applied: drop them so they are not applied twice.
                let t = text.replacen("{~", "{", 1);
                let t = match t.strip_suffix("~}") {
                    Some(x) => format!("{x}}}"),
                    None => t,
                };
                out.push_str(&t);
            }
        }
    }
    out
}

/// The body of a heredoc expression's source text (`<<-EOT\n...\n  EOT`), or `None` when it
/// is not a flush (`<<-`) heredoc.
pub fn flush_body(expr_text: &str) -> Option<&str> {
    let t = expr_text.trim_start();
    if !t.starts_with("<<-") {
        return None;
    }
    let first = t.find('\n')? + 1;
    let last = t.trim_end().rfind('\n')? + 1;
    (last >= first).then(|| &t[first..last])
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected texts are Terraform 1.11's results for the same heredocs (evaluated by hand
    // below: for over ["a", "b"]).
    #[test]
    fn strip_markers_apply_before_dedent() {
        let b = flush("    first\n    %{for x in xs~}\n    item ${x}\n    %{endfor~}\n    last\n");
        assert_eq!(b, "first\n%{for x in xs}    item ${x}\n%{endfor}    last\n");
        let a = flush("    first\n    %{for x in xs}\n    item ${x}\n    %{endfor}\n    last\n");
        assert_eq!(a, "first\n%{for x in xs}\nitem ${x}\n%{endfor}\nlast\n");
        let c = flush("    first\n    %{~for x in xs}\n    item ${x}\n    %{~endfor}\n    last\n");
        assert_eq!(
            c,
            "    first\n%{for x in xs}\n    item ${x}\n%{endfor}\n    last\n"
        );
        let d = flush("    x ${\"}\"}\n      z\n\n    $${lit} %%{lit}\n");
        assert_eq!(d, "x ${\"}\"}\n  z\n\n$${lit} %%{lit}\n");
    }

    #[test]
    fn flush_bodies_are_found() {
        assert_eq!(flush_body(" <<-EOT\n  a\n  EOT"), Some("  a\n"));
        assert_eq!(flush_body("<<EOT\na\nEOT"), None);
    }
}
