//! A table rendered the same way into Markdown and HTML.

use crate::escape::escape;
use std::fmt::Write;

/// Rows of cells under a header; the first column is a label, the others figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column titles.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// As a Markdown table, figures right-aligned.
    pub fn markdown(&self) -> String {
        let mut s = format!("| {} |\n|", self.header.join(" | "));
        for i in 0..self.header.len() {
            s.push_str(if i == 0 { "---|" } else { "---:|" });
        }
        s.push('\n');
        for row in &self.rows {
            let _ = writeln!(s, "| {} |", row.join(" | "));
        }
        s
    }

    /// As an HTML table, escaped.
    pub fn html(&self) -> String {
        let cells = |tag: &str, row: &[String]| {
            row.iter()
                .map(|c| format!("<{tag}>{}</{tag}>", escape(c)))
                .collect::<String>()
        };
        // Wide tables scroll on their own on a narrow screen, not the page.
        let mut s = format!(
            "<div class=\"scroll\"><table><tr>{}</tr>",
            cells("th", &self.header)
        );
        for row in &self.rows {
            let _ = write!(s, "<tr>{}</tr>", cells("td", row));
        }
        s.push_str("</table></div>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_both_ways() {
        let t = Table {
            header: vec!["".into(), "a<b".into()],
            rows: vec![vec!["x".into(), "1".into()]],
        };
        assert_eq!(t.markdown(), "|  | a<b |\n|---|---:|\n| x | 1 |\n");
        assert_eq!(
            t.html(),
            "<div class=\"scroll\"><table><tr><th></th><th>a&lt;b</th></tr><tr><td>x</td><td>1</td></tr></table></div>"
        );
    }
}
