//! The files a run leaves: its result, summary and page, and the tables that
//! put several runs side by side.

use crate::{console::Console, error::Error};
use chainmeter_core::scenario::{Scenario, Writes};
use chainmeter_report::{compare, comparison::Comparison, html, interval, markdown};
use chainmeter_result::run::RunResult;
use std::path::{Path, PathBuf};

/// Writes `result` as `<dir>/result.json`, whole or not at all: written to a
/// temporary file, then renamed, so a reader never sees half a file.
pub(crate) fn write_result(result: &RunResult, dir: &Path) -> Result<PathBuf, Error> {
    let path = dir.join("result.json");
    let json = serde_json::to_vec_pretty(result).map_err(|e| Error::Write {
        path: path.clone(),
        source: e.into(),
    })?;
    let tmp = dir.join(".result.json.tmp");
    write(&tmp, json)?;
    std::fs::rename(&tmp, &path).map_err(|source| Error::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Writes a file, naming it in the error.
pub(crate) fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), Error> {
    std::fs::write(path, contents).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

/// Creates a directory and its parents, naming it in the error.
pub(crate) fn create_dir(path: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(path).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

/// Writes a finished run's `result.json`, `summary.md` and `report.html`
/// (with the interval log at `hlog`, if any) and shows the summary; returns
/// the result's path.
pub(crate) fn write_run(
    result: &RunResult,
    dir: &Path,
    hlog: &Path,
    console: &dyn Console,
) -> Result<PathBuf, Error> {
    let written = write_result(result, dir);
    let md = markdown::run_summary(result);
    console.show(&md);
    let summary = write(&dir.join("summary.md"), &md).and_then(|()| {
        let intervals = interval::read(hlog).unwrap_or_default();
        write(&dir.join("report.html"), html::run_page(result, &intervals))
    });
    let path = written?;
    console.result(result, &path);
    summary?;
    Ok(path)
}

/// Writes a repeated run's `result.json` and `summary.md` and shows the summary.
pub(crate) fn write_repeated(
    result: &RunResult,
    dir: &Path,
    console: &dyn Console,
) -> Result<PathBuf, Error> {
    let path = write_result(result, dir)?;
    let md = markdown::run_summary(result);
    write(&dir.join("summary.md"), &md)?;
    console.show(&md);
    Ok(path)
}

/// Puts a chain's hot and disjoint runs side by side, with their ratio, in
/// `<dir>/contention.md` and `contention.html`.
pub(crate) fn write_contention(
    chain: &str,
    dir: &Path,
    hot: Option<&RunResult>,
    disjoint: Option<&RunResult>,
    console: &dyn Console,
) {
    let (Some(hot), Some(disjoint)) = (hot, disjoint) else {
        console.note("warning: no contention.md: a hot or disjoint result is missing");
        return;
    };
    let page = Comparison::side_by_side(
        format!("chainmeter: {chain}, hot vs disjoint writes"),
        compare::contention_table(hot, disjoint),
        &[hot.clone(), disjoint.clone()],
    );
    write_page(dir, "contention", &page, console);
}

/// Puts the chains of a multi-chain run side by side in `<dir>/comparison.md`
/// and `comparison.html`, from those of their runs that wrote a result
/// (with both write modes, their disjoint runs).
pub(crate) fn write_comparison(
    scenario: &Scenario,
    dir: &Path,
    results: Vec<RunResult>,
    console: &dyn Console,
) {
    if results.len() < 2 {
        return;
    }
    let page = Comparison::side_by_side(
        format!("chainmeter: {}, chains side by side", scenario.name),
        compare::chain_table(&results),
        &results,
    );
    write_page(dir, "comparison", &page, console);
}

/// The write mode whose run stands for its chain in a comparison.
pub(crate) fn compared_mode(writes: Writes) -> Option<Writes> {
    (writes == Writes::Both).then_some(Writes::Disjoint)
}

/// Shows `page`'s table and writes the page as `<dir>/<stem>.md` and
/// `<stem>.html`. A file that cannot be written is a warning, not a
/// failure: the runs' own results are written.
fn write_page(dir: &Path, stem: &str, page: &Comparison, console: &dyn Console) {
    if let Err(e) = std::fs::write(dir.join(format!("{stem}.html")), page.html()) {
        console.note(&format!("warning: cannot write {stem}.html: {e}"));
    }
    console.show(&page.brief());
    let path = dir.join(format!("{stem}.md"));
    match std::fs::write(&path, page.markdown()) {
        Ok(()) => console.note(&format!("{stem}: {}", path.display())),
        Err(e) => console.note(&format!("warning: cannot write {}: {e}", path.display())),
    }
}
