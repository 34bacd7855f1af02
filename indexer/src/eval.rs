//! Evaluations on test collections read at run time: retrieval quality (Recall@10, MRR@10,
//! nDCG@10 per query variant) and stemmer conflation against treebank lemmas.

use crate::analysis::normalize;
use crate::analyzers::{self, FieldKind};
use crate::library::Library;
use crate::query;
use crate::{Error, Result};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use tantivy::TantivyDocument;
use tantivy::collector::TopDocs;
use tantivy::schema::Value;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    pub queries: usize,
    pub recall_at_10: f64,
    pub mrr_at_10: f64,
    pub ndcg_at_10: f64,
}

fn read_tsv(path: &Path) -> Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect())
}

/// A test collection: documents, queries (id, variant, text) and the relevant documents of each
/// query id.
pub struct Collection {
    pub docs: Vec<(String, String)>,
    pub queries: Vec<(String, String, String)>,
    pub relevant: HashMap<String, HashSet<String>>,
}

/// Reads `docs` (`id TAB text`), `queries` (`qid TAB variant TAB text`) and `qrels` (`qid docid
/// [grade]`, or TREC's `qid iteration docid grade`; a grade of 0 or less is a judged
/// non-relevant document).
pub fn load(docs: &Path, queries: &Path, qrels: &Path) -> Result<Collection> {
    let docs = read_tsv(docs)?
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [id, text, ..] => Some((id.clone(), text.clone())),
            _ => None,
        })
        .collect();
    let mut relevant: HashMap<String, HashSet<String>> = HashMap::new();
    let qrels_text = std::fs::read_to_string(qrels)
        .map_err(|e| Error::Input(format!("{}: {e}", qrels.display())))?;
    for line in qrels_text.lines() {
        let row: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        let (qid, doc, grade) = match row.as_slice() {
            [qid, _, doc, grade, ..] => (qid, doc, Some(grade)),
            [qid, doc, grade] => (qid, doc, Some(grade)),
            [qid, doc] => (qid, doc, None),
            _ => continue,
        };
        if qid == "qid" {
            continue;
        }
        if grade
            .and_then(|g| g.trim().parse::<f64>().ok())
            .is_some_and(|g| g <= 0.0)
        {
            continue;
        }
        relevant.entry(qid.clone()).or_default().insert(doc.clone());
    }
    let queries = read_tsv(queries)?
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [qid, variant, text, ..] if qid != "qid" => {
                Some((qid.clone(), variant.clone(), text.clone()))
            }
            _ => None,
        })
        .collect();
    Ok(Collection {
        docs,
        queries,
        relevant,
    })
}

/// The metrics per query variant of `rankings` (document ids, best first; one ranking per query
/// of the collection, in its order).
pub fn score(c: &Collection, rankings: &[Vec<String>]) -> BTreeMap<String, Metrics> {
    let mut per_variant: BTreeMap<String, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for ((qid, variant, _), ranked) in c.queries.iter().zip(rankings) {
        let rel = c.relevant.get(qid).cloned().unwrap_or_default();
        per_variant
            .entry(variant.clone())
            .or_default()
            .push(score_query(ranked, &rel));
    }
    per_variant
        .into_iter()
        .map(|(variant, scores)| {
            let n = scores.len().max(1) as f64;
            let m = Metrics {
                queries: scores.len(),
                recall_at_10: scores.iter().map(|s| s.0).sum::<f64>() / n,
                mrr_at_10: scores.iter().map(|s| s.1).sum::<f64>() / n,
                ndcg_at_10: scores.iter().map(|s| s.2).sum::<f64>() / n,
            };
            (variant, m)
        })
        .collect()
}

/// Indexes `docs` (one passage each, in `lang`), runs every query of every variant and scores the
/// top 10 against `qrels`. With `run`, writes a TREC run file.
pub fn retrieval(
    lang: &str,
    docs: &Path,
    queries: &Path,
    qrels: &Path,
    run: Option<&Path>,
) -> Result<BTreeMap<String, Metrics>> {
    let c = load(docs, queries, qrels)?;
    let library = Library::in_memory()?;
    let mut writer = library.writer()?;
    for (id, text) in &c.docs {
        writer.add_plain("eval", id, lang, text)?;
    }
    writer.commit()?;
    let searcher = library.reader.searcher();
    let langs = query::languages_for(Some(lang));
    let mut run_out = match run {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(|e| Error::Input(format!("{}: {e}", p.display())))?,
        )),
        None => None,
    };
    let mut rankings = Vec::with_capacity(c.queries.len());
    for (qid, variant, text) in &c.queries {
        let parsed = query::parse(text);
        let ranked: Vec<(String, f32)> = match query::build(
            &searcher,
            &library.fields,
            &parsed,
            &langs,
            &[],
            &query::GlossaryIndex::default(),
        ) {
            Some(q) => {
                let top = searcher.search(&*q, &TopDocs::with_limit(10).order_by_score())?;
                let mut v = Vec::with_capacity(top.len());
                for (score, addr) in top {
                    let doc: TantivyDocument = searcher.doc(addr)?;
                    let id = doc
                        .get_first(library.fields.anchor)
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_string();
                    v.push((id, score));
                }
                v
            }
            None => Vec::new(),
        };
        if let Some(out) = run_out.as_mut() {
            for (rank, (doc, score)) in ranked.iter().enumerate() {
                writeln!(
                    out,
                    "{qid}:{variant} Q0 {doc} {} {score:.4} kitep",
                    rank + 1
                )
                .map_err(|e| Error::Input(e.to_string()))?;
            }
        }
        rankings.push(ranked.into_iter().map(|(d, _)| d).collect());
    }
    Ok(score(&c, &rankings))
}

/// (Recall@10, reciprocal rank, nDCG@10) of one ranking. Recall divides by min(relevant, 10).
fn score_query(ranked: &[String], rel: &HashSet<String>) -> (f64, f64, f64) {
    if rel.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let hits: Vec<bool> = ranked.iter().take(10).map(|d| rel.contains(d)).collect();
    let found = hits.iter().filter(|h| **h).count() as f64;
    let recall = found / rel.len().min(10) as f64;
    let rr = hits
        .iter()
        .position(|h| *h)
        .map(|p| 1.0 / (p + 1) as f64)
        .unwrap_or(0.0);
    let dcg: f64 = hits
        .iter()
        .enumerate()
        .filter(|(_, h)| **h)
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum();
    let idcg: f64 = (0..rel.len().min(10))
        .map(|i| 1.0 / ((i + 2) as f64).log2())
        .sum();
    (recall, rr, dcg / idcg)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conflation {
    pub forms: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Pairwise conflation of the stemmer against treebank lemmas, for nominals (NOUN, PROPN, ADJ)
/// and verbs (VERB), over distinct word forms. The language comes from `lang` or the file name.
pub fn stemmer(files: &[&Path], lang: Option<&str>) -> Result<BTreeMap<String, Conflation>> {
    let mut classes: BTreeMap<&str, HashMap<String, HashMap<String, usize>>> = BTreeMap::new();
    let mut language = lang.map(str::to_string);
    for path in files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
        if language.is_none() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            language = name
                .split('_')
                .next()
                .filter(|p| p.len() == 2)
                .map(str::to_string);
        }
        for line in text.lines() {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 4 || line.starts_with('#') || cols[0].contains(['-', '.']) {
                continue;
            }
            let class = match cols[3] {
                "NOUN" | "PROPN" | "ADJ" => "nominals",
                "VERB" => "verbs",
                _ => continue,
            };
            let form = normalize::normalize(cols[1]);
            let lemma = normalize::normalize(cols[2]);
            if form.is_empty() || lemma.is_empty() || !form.chars().all(char::is_alphabetic) {
                continue;
            }
            *classes
                .entry(class)
                .or_default()
                .entry(form)
                .or_default()
                .entry(lemma)
                .or_default() += 1;
        }
    }
    let lang =
        language.ok_or_else(|| Error::Input("cannot tell the language: pass --lang".into()))?;
    if classes.is_empty() {
        let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::Input(format!(
            "{}: no NOUN, PROPN, ADJ or VERB word with a lemma (is this a CoNLL-U file?)",
            names.join(", ")
        )));
    }
    let kind = FieldKind::stemmed(&lang);
    let mut out = BTreeMap::new();
    for (class, forms) in classes {
        // Each form's lemma is its most frequent one.
        let mut by_stem: HashMap<String, usize> = HashMap::new();
        let mut by_lemma: HashMap<String, usize> = HashMap::new();
        let mut by_both: HashMap<(String, String), usize> = HashMap::new();
        for (form, lemmas) in &forms {
            let lemma = lemmas
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(l, _)| l.clone())
                .unwrap_or_default();
            let stem = analyzers::terms(kind, form)
                .into_iter()
                .next()
                .unwrap_or_else(|| form.clone());
            *by_stem.entry(stem.clone()).or_default() += 1;
            *by_lemma.entry(lemma.clone()).or_default() += 1;
            *by_both.entry((stem, lemma)).or_default() += 1;
        }
        let pairs = |m: &mut dyn Iterator<Item = usize>| {
            m.map(|n| (n * n.saturating_sub(1) / 2) as f64).sum::<f64>()
        };
        let stem_pairs = pairs(&mut by_stem.values().copied());
        let lemma_pairs = pairs(&mut by_lemma.values().copied());
        let correct = pairs(&mut by_both.values().copied());
        let precision = if stem_pairs > 0.0 {
            correct / stem_pairs
        } else {
            1.0
        };
        let recall = if lemma_pairs > 0.0 {
            correct / lemma_pairs
        } else {
            1.0
        };
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        out.insert(
            class.to_string(),
            Conflation {
                forms: forms.len(),
                precision,
                recall,
                f1,
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_of_one_ranking() {
        let rel: HashSet<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        let ranked = vec!["x".to_string(), "a".to_string()];
        let (r, rr, ndcg) = score_query(&ranked, &rel);
        assert_eq!(r, 0.5);
        assert_eq!(rr, 0.5);
        assert!(ndcg > 0.0 && ndcg < 1.0);
    }

    #[test]
    fn retrieval_on_a_tiny_collection() {
        let dir = tempfile::tempdir().unwrap();
        let w = |n: &str, t: &str| std::fs::write(dir.path().join(n), t).unwrap();
        w(
            "docs.tsv",
            "d1\tБалдар китептерибизди окушту.\nd2\tТоодо кар жаады.\nd3\tМектепте жаңы китеп бар.\n",
        );
        w(
            "queries.tsv",
            "qid\tvariant\tquery\nq1\tlemma\tкитеп\nq1\tlatin\tkitep\nq2\tlemma\tмектеп\n",
        );
        // q2's d2 is judged not relevant (grade 0), in TREC's four-column form.
        w("qrels.tsv", "q1\td1\t1\nq1\td3\t1\nq2 0 d3 1\nq2 0 d2 0\n");
        let m = retrieval(
            "ky",
            &dir.path().join("docs.tsv"),
            &dir.path().join("queries.tsv"),
            &dir.path().join("qrels.tsv"),
            None,
        )
        .unwrap();
        assert_eq!(m["lemma"].recall_at_10, 1.0);
        assert_eq!(m["latin"].recall_at_10, 1.0);
        assert_eq!(
            m["lemma"].recall_at_10, 1.0,
            "d2 (grade 0) is not relevant to q2"
        );
    }
}
