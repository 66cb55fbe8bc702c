//! The jobs as the graph sees them: the first parsed job of each id, with
//! what the manifest adds to them (`[[task]]` entries, and the tables that
//! `[paths]` templates say a script writes).

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use crate::facts::{DataRef, FileFacts, JobFact, JobKind, Located};
use crate::manifest::Manifest;

/// The jobs the manifest changes, by id: `[[task]]` entries merged into the
/// parsed job of their id (or a job of their own), and scripts whose path
/// names the table they write. Every other job is read as parsed.
pub(super) fn changed_jobs(
    first: &HashMap<&str, &JobFact>,
    manifest: &Manifest,
) -> BTreeMap<String, JobFact> {
    let mut changed: BTreeMap<String, JobFact> = BTreeMap::new();
    for task in &manifest.tasks {
        let id = task.node_id();
        let job = changed
            .entry(id.clone())
            .or_insert_with(|| match first.get(id.as_str()) {
                Some(parsed) => (*parsed).clone(),
                None => {
                    let bare = id.strip_prefix("task:").unwrap_or(&id);
                    let mut j = JobFact::new(
                        id.clone(),
                        JobKind::Task,
                        bare.rsplit('.').next().unwrap_or(bare),
                        task.span.clone(),
                    );
                    j.dag = bare.rsplit_once('.').map(|(d, _)| d.to_string());
                    j
                }
            });
        if task.owner.is_some() {
            job.owner.clone_from(&task.owner);
        }
        if task.cadence.is_some() {
            job.cadence.clone_from(&task.cadence);
        }
        if task.on_failure.is_some() {
            job.on_failure.clone_from(&task.on_failure);
        }
        job.reads.extend(task.reads.iter().cloned());
        job.writes.extend(task.writes.iter().cloned());
        job.runs.extend(task.runs.iter().cloned());
        job.reads.extend(task.checks.iter().cloned());
        job.is_check |= !task.checks.is_empty();
    }
    for job in changed.values_mut().filter(|j| j.kind == JobKind::Script) {
        if let Some(write) = path_write(job, manifest) {
            job.writes.push(write);
        }
    }
    for (&id, &parsed) in first {
        if parsed.kind == JobKind::Script && !changed.contains_key(id) {
            if let Some(write) = path_write(parsed, manifest) {
                let mut job = parsed.clone();
                job.writes.push(write);
                changed.insert(id.to_string(), job);
            }
        }
    }
    changed
}

/// The first parsed job of each id.
pub(super) fn first_jobs(facts: &FileFacts) -> HashMap<&str, &JobFact> {
    let mut first: HashMap<&str, &JobFact> = HashMap::with_capacity(facts.jobs.len());
    for job in &facts.jobs {
        first.entry(job.id.as_str()).or_insert(job);
    }
    first
}

/// Every job, sorted by id: the parsed ones (the first of each id) with the
/// manifest's changes (see [`changed_jobs`]) in place of the jobs they change.
pub(super) fn merged_jobs<'f>(
    first: HashMap<&'f str, &'f JobFact>,
    changed: &'f BTreeMap<String, JobFact>,
) -> Vec<&'f JobFact> {
    let mut jobs: Vec<&JobFact> = first
        .into_iter()
        .filter(|(id, _)| !changed.contains_key(*id))
        .map(|(_, job)| job)
        .chain(changed.values())
        .collect();
    jobs.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    jobs
}

/// `[paths."sql/*/*/*/query.sql"] writes = "{1}.{2}.{3}"`: a script whose
/// path names the table it builds writes that table (the most specific,
/// i.e. last, matching entry wins), unless its SQL already names it.
fn path_write(job: &JobFact, manifest: &Manifest) -> Option<Located<DataRef>> {
    let file = job.id.strip_prefix("script:")?;
    let (name, span) = manifest.paths.iter().rev().find_map(|p| {
        let template = p.writes.as_ref()?;
        Some((p.written_dataset(file)?, template.span.clone()))
    })?;
    let written = DataRef::from_name(&name);
    (!job.writes.iter().any(|w| w.value == written)).then(|| Located::new(written, span))
}
