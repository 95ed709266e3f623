//! A comparison of result files, built once: its page, in Markdown and in
//! HTML with the same words, and the gate's verdict. The binary reads the
//! files, parses the rules, writes what this builds and turns the verdict
//! into an exit code.
//!
//! Results of different chains (or more than two) stand side by side. Two
//! results of one chain are a baseline and a candidate: a table of changes,
//! and the `--fail-if` rules judged on them, by a confidence interval when
//! both were repeated.

use crate::{
    compare::{self, CompareError, Threshold},
    gate, html, method,
    table::Table,
    view,
};
use chainmeter_result::run::RunResult;

/// A comparison, ready to be written.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The page's title.
    pub title: String,
    /// What was compared: the files as given (with each workload, for a
    /// baseline and a candidate).
    pub intro: String,
    table: Table,
    /// Each rule's interval and verdict, for repeated runs.
    gates: Vec<gate::Gate>,
    /// How the runs were measured, for the top of the page.
    method: Vec<view::Line>,
    /// The charts of the HTML page.
    charts: String,
    pair: bool,
    /// Why the candidate fails the gate, a line each: unfit candidates
    /// first, then broken rules. Empty when it passes (or nothing gates).
    pub failures: Vec<String>,
}

impl Comparison {
    /// Compares `results`, each named as given in `names` (e.g. its
    /// path), judging `rules` when they are a baseline and a candidate.
    /// Refuses different workloads unless `allow_mismatch`, and rules for
    /// anything but a baseline and a candidate.
    pub fn build(
        names: &[String],
        results: &[RunResult],
        rules: &[Threshold],
        allow_mismatch: bool,
    ) -> Result<Self, CompareError> {
        if !allow_mismatch {
            compare::check_same_workload(results)?;
        }
        let pair = results.len() == 2 && results[1].chain == results[0].chain;
        let charts = html::comparison_charts(results);
        if !pair {
            if !rules.is_empty() {
                return Err(CompareError::NotAPair);
            }
            return Ok(Self {
                title: "chainmeter: chains side by side".to_owned(),
                intro: names.join(", "),
                table: compare::chain_table(results),
                gates: Vec::new(),
                method: method::lines(results),
                charts,
                pair,
                failures: Vec::new(),
            });
        }
        let (baseline, candidate) = (&results[0], &results[1]);
        let deltas = compare::deltas(baseline, candidate);
        let (knee_failures, rules) = compare::knee_rules(baseline, candidate, rules);
        let repeated = gate::repeated(baseline, candidate);
        let (gates, mut broken) = if repeated {
            // Repeated runs: each rule judged by a confidence interval.
            let gates = gate::gates(baseline, candidate, &rules)?;
            let broken = gates
                .iter()
                .filter(|g| {
                    matches!(
                        g.verdict,
                        gate::Verdict::Breaks | gate::Verdict::Undecidable
                    )
                })
                .map(gate::Gate::line)
                .collect();
            (gates, broken)
        } else {
            (Vec::new(), compare::regressions(&deltas, &rules)?)
        };
        let mut failures = Vec::new();
        if !rules.is_empty() || !knee_failures.is_empty() {
            // Before any figure: a candidate that cannot stand for a run fails the gate.
            failures = compare::unfit_candidate(baseline, candidate);
            if repeated {
                failures.extend(compare::unfit_repeats(baseline, candidate));
            }
            failures.extend(knee_failures);
            failures.append(&mut broken);
        }
        Ok(Self {
            title: format!("chainmeter: {} baseline vs candidate", baseline.chain),
            intro: format!(
                "baseline: {} ({}), candidate: {} ({})",
                names[0],
                view::workload(baseline),
                names[1],
                view::workload(candidate),
            ),
            table: compare::delta_table(&deltas),
            gates,
            method: method::lines(results),
            charts,
            pair,
            failures,
        })
    }

    /// Runs a run compared itself, side by side under `title` in `table`
    /// (a multi-chain run's chains, a chain's hot against disjoint
    /// writes): the page `build` makes of files, without a gate.
    pub fn side_by_side(title: String, table: Table, results: &[RunResult]) -> Self {
        Self {
            title,
            intro: String::new(),
            table,
            gates: Vec::new(),
            method: method::lines(results),
            charts: html::comparison_charts(results),
            pair: false,
            failures: Vec::new(),
        }
    }

    /// The title and the table alone, for a terminal: the pages carry how
    /// the runs were measured.
    pub fn brief(&self) -> String {
        format!("## {}\n\n{}", self.title, self.table.markdown())
    }

    /// Whether this is a baseline and a candidate of one chain.
    pub fn is_pair(&self) -> bool {
        self.pair
    }

    /// Whether the candidate passes the gate.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The gate's lines for repeated runs, with how they were judged.
    fn gate_lines(&self) -> Option<(&'static str, Vec<String>)> {
        (!self.gates.is_empty()).then(|| {
            (
                gate::METHOD,
                self.gates.iter().map(gate::Gate::line).collect(),
            )
        })
    }

    /// The comparison as Markdown.
    pub fn markdown(&self) -> String {
        let mut text = format!("## {}\n\n", self.title);
        if !self.intro.is_empty() {
            text.push_str(&format!("{}\n\n", self.intro));
        }
        text.push_str(&format!(
            "{}\n{}",
            method::markdown(&self.method),
            self.table.markdown()
        ));
        if let Some((method, lines)) = self.gate_lines() {
            text.push_str(&format!("\n\n**Gate** ({method}):\n\n"));
            text.push_str(
                &lines
                    .iter()
                    .map(|l| format!("- {l}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        text
    }

    /// The comparison as a self-contained HTML page: the same words, and
    /// charts.
    pub fn html(&self) -> String {
        let mut body = if self.intro.is_empty() {
            String::new()
        } else {
            format!("<p>{}</p>", html::escape(&self.intro))
        };
        body.push_str(&format!(
            "{}<h2>Figures</h2>{}",
            method::html(&self.method),
            self.table.html()
        ));
        if let Some((method, lines)) = self.gate_lines() {
            body.push_str(&format!(
                "<p><strong>Gate</strong> ({})</p><ul>{}</ul>",
                html::escape(method),
                lines
                    .iter()
                    .map(|l| format!("<li>{}</li>", html::escape(l)))
                    .collect::<String>()
            ));
        }
        body.push_str(&self.charts);
        html::document(&self.title, &body)
    }
}
