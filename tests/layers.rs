//! The modules of each crate form layers: no module reaches, through the
//! modules it uses, back to itself. A circle means two modules that cannot
//! be understood, tested or moved apart; this check fails on any circle
//! not listed in [`KNOWN`], and on a listed one that is gone (so the list
//! only shrinks).
//!
//! A module's uses are the `crate::<module>` paths in its files (a
//! directory module's files count as one), test modules left out.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// Circles that are there today, each as its modules in order from the
/// least; the issue that removes them says where they go.
const KNOWN: &[(&str, &[&str])] = &[];

/// Each module of the crate at `src` and the modules of it that it uses.
fn uses(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    collect(src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let used = graph.entry(top.clone()).or_default();
        used.extend(crate_paths(code).into_iter().filter(|m| *m != top));
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for used in graph.values_mut() {
        used.retain(|m| modules.contains(m));
    }
    graph
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The modules `code` names after `crate::`, in paths and in `use
/// crate::{a::.., b, ..}` groups (comments included: a doc link is a use).
fn crate_paths(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            found.insert(ident(rest));
            continue;
        };
        // The group's top-level items, split at commas outside inner braces.
        let (mut depth, mut start) = (0, 0);
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    found.insert(ident(&group[start..i]));
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    found.insert(ident(&group[start..i]));
                    start = i + 1;
                }
                _ => {}
            }
        }
    }
    found.retain(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
    found
}

/// Every elementary circle of `graph`, each from its least module, by
/// walking from each module to those after it.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
        found: &mut BTreeSet<Vec<String>>,
    ) {
        let last = path.last().unwrap().clone();
        for next in graph.get(&last).into_iter().flatten() {
            if next == start {
                found.insert(path.clone());
            } else if next.as_str() > start && !path.contains(next) {
                path.push(next.clone());
                walk(graph, start, path, found);
                path.pop();
            }
        }
    }
    let mut found = BTreeSet::new();
    for start in graph.keys() {
        walk(graph, start, &mut vec![start.clone()], &mut found);
    }
    found
}

#[test]
fn no_module_circle_but_the_known_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = BTreeSet::new();
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    crates.sort();
    for dir in crates {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        for circle in circles(&uses(&dir.join("src"))) {
            found.insert((name.clone(), circle));
        }
    }
    let known: BTreeSet<(String, Vec<String>)> = KNOWN
        .iter()
        .map(|(c, m)| (c.to_string(), m.iter().map(|s| s.to_string()).collect()))
        .collect();
    let new: Vec<_> = found.difference(&known).collect();
    let gone: Vec<_> = known.difference(&found).collect();
    assert!(
        new.is_empty(),
        "modules in a circle (each uses the next, the last the first): {new:?}"
    );
    assert!(
        gone.is_empty(),
        "circles gone: take them out of KNOWN in tests/layers.rs: {gone:?}"
    );
}

/// A circle put in on purpose is found, and only it.
#[test]
fn a_circle_put_in_is_found() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    let layered = graph(&[
        ("runner", "pacer"),
        ("pacer", "schedule"),
        ("runner", "schedule"),
    ]);
    assert!(circles(&layered).is_empty());
    let mut tangled = layered.clone();
    tangled.get_mut("schedule").unwrap().insert("runner".into());
    let expected: BTreeSet<Vec<String>> = [
        vec!["pacer", "schedule", "runner"],
        vec!["runner", "schedule"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(String::from).collect())
    .collect();
    // Each circle once, from its least module.
    assert_eq!(circles(&tangled), expected);
    assert_eq!(
        crate_paths("use crate::{a::B, b, c::{d::E, f}};\nlet x = crate::g::h();"),
        ["a", "b", "c", "g"].into_iter().map(String::from).collect()
    );
}
