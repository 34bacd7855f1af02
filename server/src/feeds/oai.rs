//! OAI-PMH 2.0 at `/oai`, for library systems and national information systems that harvest
//! the catalogue: one item per edition (withdrawn ones stay, as deleted records), in Dublin
//! Core (`oai_dc`) and MARC 21 (`marc21`, MARCXML), with sets for collections, languages, grades
//! and subjects.
//!
//! Items are listed in the order of (datestamp, slug), and a resumption token holds the last item
//! given: a book that changes during a harvest moves to the end of the list, so nothing is
//! skipped, and tokens never expire. An item's datestamp is its last publish, withdrawal or
//! restore (the sync log).

use super::marc;
use crate::library::state::{Book, Shared};
use crate::web::extract::Params;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use std::fmt::Write as _;
use std::sync::Arc;

const NS: &str = "http://www.openarchives.org/OAI/2.0/";

/// Items per page (`KITEP_OAI_PAGE` to change it).
fn page_size() -> usize {
    std::env::var("KITEP_OAI_PAGE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(100)
}

fn esc(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `YYYY-MM-DDThh:mm:ssZ` of Unix seconds.
fn stamp(secs: i64) -> String {
    authoring::pipeline::format_utc(secs.max(0) as u64)
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ssZ` to Unix seconds (`until` of a day: its end).
fn parse_date(s: &str, end_of_day: bool) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, m, d) = match b.len() {
        10 | 20 if b[4] == b'-' && b[7] == b'-' => (num(0..4)?, num(5..7)?, num(8..10)?),
        _ => return None,
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let (hh, mm, ss) = if b.len() == 20 {
        if b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
            return None;
        }
        (num(11..13)?, num(14..16)?, num(17..19)?)
    } else if end_of_day {
        (23, 59, 59)
    } else {
        (0, 0, 0)
    };
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm, inverse of format_utc).
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

struct Item {
    book: Arc<Book>,
    deleted: bool,
    datestamp: i64,
    sets: Vec<String>,
}

fn set_name(spec: &str) -> String {
    let (kind, value) = spec.split_once(':').unwrap_or((spec, ""));
    match kind {
        _ if value.is_empty() => format!("By {kind}"),
        "collection" => format!("Collection {value}"),
        "language" => format!("Language {value}"),
        "grade" => format!("Grade {value}"),
        "subject" => format!("Subject {value}"),
        _ => spec.to_string(),
    }
}

/// A set spec's characters are limited: other characters become `-`.
fn spec_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

async fn items(state: &Shared) -> anyhow::Result<Vec<Item>> {
    let snap = state.snapshot();
    let mut out = Vec::new();
    for (v, withdrawn_at, logged) in state.db.all_editions().await? {
        let Some(book) = Book::from_stored(&v) else {
            continue;
        };
        let r = &book.record;
        let mut sets: Vec<String> = snap
            .collections
            .iter()
            .filter(|c| c.books.contains(&book.slug))
            .map(|c| format!("collection:{}", spec_part(&c.slug)))
            .collect();
        sets.push(format!("language:{}", spec_part(&r.language)));
        sets.extend(r.grades.iter().map(|g| format!("grade:{g}")));
        if let Some(s) = &r.subject {
            sets.push(format!("subject:{}", spec_part(s)));
        }
        let datestamp = logged
            .map(|ms| ms / 1000)
            .unwrap_or(v.published_at)
            .max(withdrawn_at.unwrap_or(0));
        out.push(Item {
            book: Arc::new(book),
            deleted: withdrawn_at.is_some(),
            datestamp,
            sets,
        });
    }
    out.sort_by(|a, b| (a.datestamp, &a.book.slug).cmp(&(b.datestamp, &b.book.slug)));
    Ok(out)
}

fn identifier(state: &Shared, slug: &str) -> String {
    format!("oai:{}:{slug}", host(state))
}

fn host(state: &Shared) -> String {
    let u = state.config.public_url.as_str();
    let rest = u.split_once("://").map(|(_, r)| r).unwrap_or(u);
    rest.split(['/', ':'])
        .next()
        .unwrap_or("kitepkana")
        .to_string()
}

fn envelope(state: &Shared, request_attrs: &str, body: &str) -> Response {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OAI-PMH xmlns=\"{NS}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"{NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd\">\n<responseDate>{}</responseDate>\n<request{request_attrs}>{}/oai</request>\n{body}</OAI-PMH>\n",
        stamp(now),
        esc(&state.config.public_url)
    );
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()
}

fn error(state: &Shared, attrs: &str, code: &str, message: &str) -> Response {
    // The protocol: a request that was a bad verb or had bad arguments is echoed without them.
    let attrs = if matches!(code, "badVerb" | "badArgument") {
        ""
    } else {
        attrs
    };
    envelope(
        state,
        attrs,
        &format!("<error code=\"{code}\">{}</error>\n", esc(message)),
    )
}

fn header_xml(state: &Shared, item: &Item) -> String {
    let mut h = format!(
        "<header{}><identifier>{}</identifier><datestamp>{}</datestamp>",
        if item.deleted {
            " status=\"deleted\""
        } else {
            ""
        },
        esc(&identifier(state, &item.book.slug)),
        stamp(item.datestamp)
    );
    for s in &item.sets {
        let _ = write!(h, "<setSpec>{}</setSpec>", esc(s));
    }
    h.push_str("</header>");
    h
}

fn dublin_core(state: &Shared, b: &Book, editions: &[Arc<Book>]) -> String {
    let r = &b.record;
    let base = state.config.public_url.trim_end_matches('/');
    let mut x = String::from(
        "<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd\">",
    );
    let mut el = |name: &str, v: &str| {
        if !v.trim().is_empty() {
            let _ = write!(x, "<dc:{name}>{}</dc:{name}>", esc(v));
        }
    };
    el("title", &r.title);
    for c in &r.contributors {
        let name = c.get("name").and_then(|v| v.as_str()).unwrap_or("");
        let role = c.get("role").and_then(|v| v.as_str()).unwrap_or("author");
        el(
            if role == "author" {
                "creator"
            } else {
                "contributor"
            },
            name,
        );
    }
    if let Some(s) = &r.subject {
        el("subject", s);
    }
    for k in &r.keywords {
        el("subject", k);
    }
    if let Some(d) = &r.description {
        el("description", d);
    }
    if let Some(p) = &r.publisher {
        el("publisher", p);
    }
    if let Some(y) = r.year {
        el("date", &y.to_string());
    }
    el("type", "Text");
    el("format", "application/epub+zip");
    el("identifier", &format!("{base}/books/{}", b.slug));
    if let Some(isbn) = &b.manifest.isbn {
        el("identifier", &format!("urn:isbn:{}", isbn.replace('-', "")));
    }
    el("language", &r.language);
    for e in editions {
        el("relation", &format!("{base}/books/{}", e.slug));
    }
    if let Some(l) = &r.license {
        el("rights", l);
    }
    x.push_str("</oai_dc:dc>");
    x
}

fn metadata(state: &Shared, prefix: &str, item: &Item) -> String {
    let snap = state.snapshot();
    let editions = snap.editions_of(&item.book);
    match prefix {
        "marc21" => {
            let rec = marc::record(&item.book, &editions, &state.config.public_url);
            let xml = marc::to_marcxml(&[rec]);
            // One record, without the XML declaration and the collection around it.
            let start = xml.find("<record>").unwrap_or(0);
            let end = xml.rfind("</record>").map(|i| i + 9).unwrap_or(xml.len());
            xml[start..end].replacen(
                "<record>",
                "<record xmlns=\"http://www.loc.gov/MARC21/slim\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.loc.gov/MARC21/slim http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd\">",
                1,
            )
        }
        _ => dublin_core(state, &item.book, &editions),
    }
}

fn record_xml(state: &Shared, prefix: &str, item: &Item) -> String {
    if item.deleted {
        format!("<record>{}</record>\n", header_xml(state, item))
    } else {
        format!(
            "<record>{}<metadata>{}</metadata></record>\n",
            header_xml(state, item),
            metadata(state, prefix, item)
        )
    }
}

/// What a list request asks for, and where a resumed one goes on from.
struct ListArgs {
    prefix: String,
    set: Option<String>,
    from: Option<i64>,
    until: Option<i64>,
    after: Option<(i64, String)>,
    cursor: usize,
    raw_from: String,
    raw_until: String,
}

fn token_of(a: &ListArgs, last: &Item, cursor: usize) -> String {
    let text = format!(
        "1\n{}\n{}\n{}\n{}\n{}\n{}\n{cursor}",
        a.prefix,
        a.set.as_deref().unwrap_or(""),
        a.raw_from,
        a.raw_until,
        last.datestamp,
        last.book.slug
    );
    B64.encode(text)
}

fn parse_token(t: &str) -> Option<ListArgs> {
    let text = String::from_utf8(B64.decode(t).ok()?).ok()?;
    let p: Vec<&str> = text.split('\n').collect();
    if p.len() != 8 || p[0] != "1" {
        return None;
    }
    Some(ListArgs {
        prefix: p[1].to_string(),
        set: (!p[2].is_empty()).then(|| p[2].to_string()),
        from: if p[3].is_empty() {
            None
        } else {
            Some(parse_date(p[3], false)?)
        },
        until: if p[4].is_empty() {
            None
        } else {
            Some(parse_date(p[4], true)?)
        },
        after: Some((p[5].parse().ok()?, p[6].to_string())),
        cursor: p[7].parse().ok()?,
        raw_from: p[3].to_string(),
        raw_until: p[4].to_string(),
    })
}

const FORMATS: [&str; 2] = ["oai_dc", "marc21"];

pub async fn oai(State(state): State<Shared>, params: Params) -> Response {
    respond(&state, params).await
}

/// The same request by POST (`application/x-www-form-urlencoded`), which the protocol allows.
pub async fn oai_post(State(state): State<Shared>, body: axum::body::Bytes) -> Response {
    let params = Params(
        form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    );
    respond(&state, params).await
}

async fn respond(state: &Shared, params: Params) -> Response {
    let state = state.clone();
    // Every argument once; the protocol's arguments only.
    let mut seen = std::collections::HashSet::new();
    for (k, _) in &params.0 {
        if !seen.insert(k.as_str()) {
            return error(
                &state,
                "",
                "badArgument",
                &format!("the argument {k} is repeated"),
            );
        }
    }
    let verb = params.get("verb").unwrap_or("");
    let allowed: &[&str] = match verb {
        "Identify" => &["verb"],
        "ListMetadataFormats" => &["verb", "identifier"],
        "ListSets" => &["verb", "resumptionToken"],
        "GetRecord" => &["verb", "identifier", "metadataPrefix"],
        "ListIdentifiers" | "ListRecords" => &[
            "verb",
            "metadataPrefix",
            "set",
            "from",
            "until",
            "resumptionToken",
        ],
        _ => {
            return error(
                &state,
                "",
                "badVerb",
                "the verb is missing or is not an OAI-PMH verb",
            );
        }
    };
    if let Some((k, _)) = params
        .0
        .iter()
        .find(|(k, _)| !allowed.contains(&k.as_str()))
    {
        return error(
            &state,
            "",
            "badArgument",
            &format!("{verb} takes no argument {k}"),
        );
    }
    let mut attrs = String::new();
    for (k, v) in &params.0 {
        let _ = write!(attrs, " {k}=\"{}\"", esc(v));
    }
    let all = match items(&state).await {
        Ok(i) => i,
        Err(e) => {
            tracing::error!("OAI-PMH: {e:#}");
            return error(
                &state,
                &attrs,
                "badArgument",
                "the catalogue cannot be read now; try again later",
            );
        }
    };
    match verb {
        "Identify" => {
            let earliest = all.iter().map(|i| i.datestamp).min().unwrap_or(0);
            let email = std::env::var("KITEP_ADMIN_EMAIL")
                .unwrap_or_else(|_| format!("library@{}", host(&state)));
            let body = format!(
                "<Identify><repositoryName>Kitepkana</repositoryName><baseURL>{}/oai</baseURL><protocolVersion>2.0</protocolVersion><adminEmail>{}</adminEmail><earliestDatestamp>{}</earliestDatestamp><deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify>\n",
                esc(&state.config.public_url),
                esc(&email),
                stamp(earliest)
            );
            envelope(&state, &attrs, &body)
        }
        "ListMetadataFormats" => {
            if let Some(id) = params.get("identifier")
                && !all.iter().any(|i| identifier(&state, &i.book.slug) == id)
            {
                return error(&state, &attrs, "idDoesNotExist", "no such item");
            }
            envelope(
                &state,
                &attrs,
                "<ListMetadataFormats><metadataFormat><metadataPrefix>oai_dc</metadataPrefix><schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema><metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace></metadataFormat><metadataFormat><metadataPrefix>marc21</metadataPrefix><schema>http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd</schema><metadataNamespace>http://www.loc.gov/MARC21/slim</metadataNamespace></metadataFormat></ListMetadataFormats>\n",
            )
        }
        "ListSets" => {
            if params.get("resumptionToken").is_some() {
                return error(
                    &state,
                    &attrs,
                    "badResumptionToken",
                    "sets come in one list",
                );
            }
            // Each kind is a set too (`grade` holds `grade:5` …): the protocol's hierarchy.
            let mut specs: Vec<String> = all
                .iter()
                .flat_map(|i| &i.sets)
                .flat_map(|s| [s.clone(), s.split(':').next().unwrap_or(s).to_string()])
                .collect();
            specs.sort();
            specs.dedup();
            let mut body = String::from("<ListSets>");
            for s in &specs {
                let _ = write!(
                    body,
                    "<set><setSpec>{}</setSpec><setName>{}</setName></set>",
                    esc(s),
                    esc(&set_name(s))
                );
            }
            body.push_str("</ListSets>\n");
            envelope(&state, &attrs, &body)
        }
        "GetRecord" => {
            let (Some(id), Some(prefix)) = (params.get("identifier"), params.get("metadataPrefix"))
            else {
                return error(
                    &state,
                    &attrs,
                    "badArgument",
                    "GetRecord needs identifier and metadataPrefix",
                );
            };
            if !FORMATS.contains(&prefix) {
                return error(
                    &state,
                    &attrs,
                    "cannotDisseminateFormat",
                    "formats: oai_dc, marc21",
                );
            }
            match all.iter().find(|i| identifier(&state, &i.book.slug) == id) {
                Some(item) => envelope(
                    &state,
                    &attrs,
                    &format!(
                        "<GetRecord>{}</GetRecord>\n",
                        record_xml(&state, prefix, item)
                    ),
                ),
                None => error(&state, &attrs, "idDoesNotExist", "no such item"),
            }
        }
        _ => list(&state, &params, &attrs, verb, &all),
    }
}

fn list(state: &Shared, params: &Params, attrs: &str, verb: &str, all: &[Item]) -> Response {
    let args = match params.get("resumptionToken") {
        Some(t) => {
            if params.0.len() != 2 {
                return error(
                    state,
                    attrs,
                    "badArgument",
                    "resumptionToken is an exclusive argument",
                );
            }
            match parse_token(t) {
                Some(a) => a,
                None => {
                    return error(
                        state,
                        attrs,
                        "badResumptionToken",
                        "this resumption token is not one of ours",
                    );
                }
            }
        }
        None => {
            let Some(prefix) = params.get("metadataPrefix") else {
                return error(state, attrs, "badArgument", "metadataPrefix is required");
            };
            let date = |k: &str, end: bool| -> Result<Option<i64>, ()> {
                match params.get(k) {
                    None => Ok(None),
                    Some(v) => parse_date(v, end).map(Some).ok_or(()),
                }
            };
            let (Ok(from), Ok(until)) = (date("from", false), date("until", true)) else {
                return error(
                    state,
                    attrs,
                    "badArgument",
                    "dates are YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ",
                );
            };
            let (f, u) = (
                params.get("from").unwrap_or(""),
                params.get("until").unwrap_or(""),
            );
            if !f.is_empty() && !u.is_empty() && f.len() != u.len() {
                return error(
                    state,
                    attrs,
                    "badArgument",
                    "from and until have different granularities",
                );
            }
            if let (Some(a), Some(b)) = (from, until)
                && a > b
            {
                return error(state, attrs, "badArgument", "from is after until");
            }
            ListArgs {
                prefix: prefix.to_string(),
                set: params.get("set").map(str::to_string),
                from,
                until,
                after: None,
                cursor: 0,
                raw_from: f.to_string(),
                raw_until: u.to_string(),
            }
        }
    };
    if !FORMATS.contains(&args.prefix.as_str()) {
        return error(
            state,
            attrs,
            "cannotDisseminateFormat",
            "formats: oai_dc, marc21",
        );
    }
    let matching: Vec<&Item> = all
        .iter()
        .filter(|i| args.from.is_none_or(|f| i.datestamp >= f))
        .filter(|i| args.until.is_none_or(|u| i.datestamp <= u))
        .filter(|i| {
            args.set.as_ref().is_none_or(|s| {
                i.sets
                    .iter()
                    .any(|x| x == s || x.starts_with(&format!("{s}:")))
            })
        })
        .collect();
    let rest: Vec<&Item> = matching
        .iter()
        .copied()
        .filter(|i| {
            args.after
                .as_ref()
                .is_none_or(|(d, s)| (i.datestamp, &i.book.slug) > (*d, s))
        })
        .collect();
    if rest.is_empty() {
        return error(
            state,
            attrs,
            "noRecordsMatch",
            "no item matches these arguments",
        );
    }
    let page = page_size();
    let mut body = format!("<{verb}>");
    for item in rest.iter().take(page) {
        if verb == "ListIdentifiers" {
            body.push_str(&header_xml(state, item));
            body.push('\n');
        } else {
            body.push_str(&record_xml(state, &args.prefix, item));
        }
    }
    let shown = rest.len().min(page);
    if rest.len() > page || args.after.is_some() {
        let token = if rest.len() > page {
            token_of(&args, rest[page - 1], args.cursor + shown)
        } else {
            String::new()
        };
        let _ = write!(
            body,
            "<resumptionToken completeListSize=\"{}\" cursor=\"{}\">{token}</resumptionToken>",
            matching.len(),
            args.cursor
        );
    }
    let _ = writeln!(body, "</{verb}>");
    envelope(state, attrs, &body)
}

pub fn routes() -> axum::Router<Shared> {
    axum::Router::new().route("/oai", axum::routing::get(oai).post(oai_post))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_bad_ones_are_refused() {
        let t = parse_date("2026-12-07T21:15:04Z", false).unwrap();
        assert_eq!(stamp(t), "2026-12-07T21:15:04Z");
        assert_eq!(
            stamp(parse_date("2026-12-07", false).unwrap()),
            "2026-12-07T00:00:00Z"
        );
        assert_eq!(
            stamp(parse_date("2026-12-07", true).unwrap()),
            "2026-12-07T23:59:59Z"
        );
        for bad in [
            "2026-13-01",
            "2026-12-07T25:00:00Z",
            "yesterday",
            "2026-12-07T21:15:04",
        ] {
            assert!(parse_date(bad, false).is_none(), "{bad}");
        }
    }
}
