//! Reading a Word package (`.docx`): the parts it is made of, then the body as blocks of the
//! model in `super`, with every property Markdown can carry.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use super::xml::{self, El, Node};
use super::{Block, Fmt, Image, Inline, ListInfo, Para, ParaKind, Table, TableCell, Warnings};

/// Largest XML part read (a 2,000-page document is about 40 MB of XML).
const MAX_PART: u64 = 256 << 20;
/// Largest media file read.
const MAX_MEDIA: u64 = 64 << 20;

pub struct Package {
    zip: zip::ZipArchive<std::fs::File>,
    label: String,
}

impl Package {
    pub fn open(path: &Path) -> Result<Package, String> {
        let label = path.display().to_string();
        let file =
            std::fs::File::open(path).map_err(|e| format!("{label}: cannot be read: {e}"))?;
        let mut head = [0u8; 8];
        let n = (&file).read(&mut head).unwrap_or(0);
        if head[..n].starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            return Err(format!(
                "{label}: this is an old Word file (.doc), not .docx. Open it in Word or LibreOffice, \
                 save it as .docx (Word Document), and import that"
            ));
        }
        if !head[..n].starts_with(b"PK") {
            return Err(format!(
                "{label}: not a Word document (.docx is a ZIP package; this file is not one). \
                 Save it from Word or LibreOffice as .docx and import that"
            ));
        }
        let zip = zip::ZipArchive::new(file).map_err(|e| {
            format!("{label}: the ZIP package is damaged ({e}); save the document again from Word")
        })?;
        Ok(Package { zip, label })
    }

    fn read_bytes(&mut self, part: &str, limit: u64) -> Result<Option<Vec<u8>>, String> {
        let mut entry = match self.zip.by_name(part) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(format!("{}: {part} cannot be read: {e}", self.label)),
        };
        let mut bytes = Vec::with_capacity(entry.size().min(limit) as usize);
        (&mut entry)
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {part} is damaged: {e}", self.label))?;
        if bytes.len() as u64 > limit {
            return Err(format!(
                "{}: {part} is larger than {} MB; split the document",
                self.label,
                limit >> 20
            ));
        }
        Ok(Some(bytes))
    }

    fn read_xml(&mut self, part: &str) -> Result<Option<El>, String> {
        let Some(bytes) = self.read_bytes(part, MAX_PART)? else {
            return Ok(None);
        };
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("{}: {part} is not UTF-8 text", self.label))?;
        xml::parse(text.trim_start_matches('\u{feff}'), part)
            .map(Some)
            .map_err(|e| format!("{}: {e}", self.label))
    }

    pub fn read_media(&mut self, part: &str) -> Result<Option<Vec<u8>>, String> {
        self.read_bytes(part, MAX_MEDIA)
    }
}

#[derive(Clone)]
struct Rel {
    target: String,
    external: bool,
}

/// Relationships of a part (`word/_rels/document.xml.rels`), targets resolved against the part's
/// folder.
/// A part's relationships: by id, and by type (the part of a kind, e.g. the styles).
#[derive(Default, Clone)]
struct Rels {
    by_id: HashMap<String, Rel>,
    /// (type URI, target) in file order.
    by_type: Vec<(String, String)>,
}

impl Rels {
    fn get(&self, id: &str) -> Option<&Rel> {
        self.by_id.get(id)
    }

    /// The target of the first relationship whose type ends with `kind` (`/styles`).
    fn of_kind(&self, kind: &str) -> Option<String> {
        self.by_type
            .iter()
            .find(|(t, _)| t.ends_with(kind))
            .map(|(_, target)| target.clone())
    }
}

fn relationships(pkg: &mut Package, part: &str) -> Result<Rels, String> {
    let (dir, name) = part.rsplit_once('/').unwrap_or(("", part));
    let rels_part = if dir.is_empty() {
        format!("_rels/{name}.rels")
    } else {
        format!("{dir}/_rels/{name}.rels")
    };
    let mut out = Rels::default();
    let Some(root) = pkg.read_xml(&rels_part)? else {
        return Ok(out);
    };
    for r in root.elements() {
        let (Some(id), Some(target)) = (r.attr("Id"), r.attr("Target")) else {
            continue;
        };
        let external = r.attr("TargetMode") == Some("External");
        let target = if external {
            target.to_string()
        } else {
            resolve(dir, target)
        };
        let kind = r.attr("Type").unwrap_or("").to_string();
        out.by_type.push((kind, target.clone()));
        out.by_id.insert(id.to_string(), Rel { target, external });
    }
    Ok(out)
}

fn resolve(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') || dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for p in target.trim_start_matches('/').split('/') {
        match p {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// A paragraph or character style, with what the importer needs of it.
#[derive(Default, Clone)]
struct Style {
    name: String,
    based_on: Option<String>,
    outline: Option<u8>,
    num: Option<(String, u8)>,
    lang: Option<String>,
    bold: Option<bool>,
    italic: Option<bool>,
    mono: bool,
}

pub struct Properties {
    pub title: String,
    pub subject: String,
    pub description: String,
    pub creators: Vec<String>,
    pub keywords: Vec<String>,
    pub language: String,
    pub year: Option<u32>,
}

/// Everything read from the package.
pub struct Document {
    pub blocks: Vec<Block>,
    pub notes: HashMap<String, Vec<Block>>,
    pub images: Vec<Image>,
    pub props: Properties,
    /// The document's default language as Word stores it (`w:docDefaults`).
    pub default_lang: Option<String>,
}

pub fn read(pkg: &mut Package, warnings: &mut Warnings) -> Result<Document, String> {
    let root_rels = relationships(pkg, "")?;
    let main = root_rels
        .of_kind("/officeDocument")
        .unwrap_or_else(|| "word/document.xml".to_string());
    let Some(doc) = pkg.read_xml(&main)? else {
        return Err(format!(
            "{}: not a Word document: the package has no {main} (is it an Excel or PowerPoint file?)",
            pkg.label
        ));
    };
    let rels = relationships(pkg, &main)?;
    let part = |kind: &str| rels.of_kind(kind);
    let styles_el = match part("/styles") {
        Some(p) => pkg.read_xml(&p)?,
        None => None,
    };
    let numbering_el = match part("/numbering") {
        Some(p) => pkg.read_xml(&p)?,
        None => None,
    };
    let mut reader = Reader {
        styles: HashMap::new(),
        numbering: Numbering::default(),
        rels: rels.clone(),
        images: Vec::new(),
        warnings,
        paragraph: 0,
        heading: String::new(),
        fields: Vec::new(),
        in_toc: false,
        toc_seen: false,
        pending_anchors: Vec::new(),
        media_part: HashMap::new(),
        default_para_style: None,
    };
    let mut default_lang = None;
    if let Some(s) = &styles_el {
        default_lang = s
            .find("w:docDefaults")
            .and_then(|d| d.find("w:lang"))
            .and_then(|l| l.attr("w:val"))
            .map(str::to_string);
        reader.read_styles(s);
    }
    if let Some(n) = &numbering_el {
        reader.numbering = Numbering::read(n);
    }
    // Footnotes and endnotes, by id; endnote ids are kept apart with an `e` prefix.
    let mut notes = HashMap::new();
    for (kind, prefix, item) in [
        ("/footnotes", "", "w:footnote"),
        ("/endnotes", "e", "w:endnote"),
    ] {
        let Some(p) = part(kind) else { continue };
        let Some(el) = pkg.read_xml(&p)? else {
            continue;
        };
        for note in el.children_named(item) {
            if matches!(
                note.attr("w:type"),
                Some("separator" | "continuationSeparator" | "continuationNotice")
            ) {
                continue;
            }
            let Some(id) = note.attr("w:id") else {
                continue;
            };
            let blocks = reader.blocks(note);
            notes.insert(format!("{prefix}{id}"), blocks);
        }
    }
    reader.paragraph = 0;
    let body = doc.find("w:body").ok_or_else(|| {
        format!(
            "{}: {main} has no body: the document is damaged or empty",
            pkg.label
        )
    })?;
    let blocks = reader.blocks(body);
    let images = std::mem::take(&mut reader.images);
    let props = properties(pkg, &root_rels)?;
    Ok(Document {
        blocks,
        notes,
        images,
        props,
        default_lang,
    })
}

fn properties(pkg: &mut Package, rels: &Rels) -> Result<Properties, String> {
    let core = rels
        .of_kind("/core-properties")
        .unwrap_or_else(|| "docProps/core.xml".to_string());
    let el = pkg.read_xml(&core)?.unwrap_or_default();
    let get = |name: &str| {
        el.child(name)
            .map(|c| c.text().trim().to_string())
            .unwrap_or_default()
    };
    let split = |s: String| -> Vec<String> {
        s.split([';', ','])
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    };
    let year = get("dcterms:created")
        .get(..4)
        .and_then(|y| y.parse().ok())
        .filter(|y| (1900..=2200).contains(y));
    Ok(Properties {
        title: get("dc:title"),
        subject: get("dc:subject"),
        description: get("dc:description"),
        creators: split(get("dc:creator")),
        keywords: split(get("cp:keywords")),
        language: get("dc:language"),
        year,
    })
}

#[derive(Default)]
struct Numbering {
    /// numId → (abstractNumId, start overrides by level)
    nums: HashMap<String, (String, HashMap<u8, u32>)>,
    /// abstractNumId → level → (format, start)
    abstracts: HashMap<String, HashMap<u8, (String, u32)>>,
}

impl Numbering {
    fn read(el: &El) -> Numbering {
        let mut n = Numbering::default();
        for a in el.children_named("w:abstractNum") {
            let Some(id) = a.attr("w:abstractNumId") else {
                continue;
            };
            let mut levels = HashMap::new();
            for lvl in a.children_named("w:lvl") {
                let Some(i) = lvl.attr("w:ilvl").and_then(|v| v.parse().ok()) else {
                    continue;
                };
                let fmt = lvl.child_val("w:numFmt").unwrap_or("decimal").to_string();
                let start = lvl
                    .child_val("w:start")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1);
                levels.insert(i, (fmt, start));
            }
            n.abstracts.insert(id.to_string(), levels);
        }
        for num in el.children_named("w:num") {
            let (Some(id), Some(abs)) = (num.attr("w:numId"), num.child_val("w:abstractNumId"))
            else {
                continue;
            };
            let mut overrides = HashMap::new();
            for o in num.children_named("w:lvlOverride") {
                if let (Some(i), Some(start)) = (
                    o.attr("w:ilvl").and_then(|v| v.parse().ok()),
                    o.child_val("w:startOverride").and_then(|v| v.parse().ok()),
                ) {
                    overrides.insert(i, start);
                }
            }
            n.nums.insert(id.to_string(), (abs.to_string(), overrides));
        }
        n
    }

    /// Whether the list is numbered (not bullets) at this level, and where it starts.
    fn level(&self, num: &str, ilvl: u8) -> Option<(bool, u32)> {
        let (abs, overrides) = self.nums.get(num)?;
        let (fmt, start) = self.abstracts.get(abs)?.get(&ilvl)?;
        if fmt == "none" {
            return None;
        }
        let start = overrides.get(&ilvl).copied().unwrap_or(*start);
        Some((fmt != "bullet", start))
    }
}

/// A field being read (`w:fldChar` begin … separate … end).
struct Field {
    instr: String,
    /// Inlines before the field's result began, in the paragraph where it began.
    result_from: Option<usize>,
    paragraph: usize,
}

struct Reader<'w> {
    styles: HashMap<String, Style>,
    numbering: Numbering,
    rels: Rels,
    images: Vec<Image>,
    warnings: &'w mut Warnings,
    paragraph: usize,
    heading: String,
    fields: Vec<Field>,
    in_toc: bool,
    /// A TOC field began or ended in the current paragraph.
    toc_seen: bool,
    /// Bookmarks met between paragraphs, for the next paragraph.
    pending_anchors: Vec<String>,
    media_part: HashMap<String, usize>,
    default_para_style: Option<String>,
}

const MONO_FONTS: &[&str] = &[
    "courier",
    "consolas",
    "menlo",
    "monaco",
    "mono",
    "lucida console",
    "source code",
    "fira code",
];

fn is_mono_font(rpr: &El) -> bool {
    rpr.child("w:rFonts")
        .and_then(|f| f.attr("w:ascii").or(f.attr("w:hAnsi")))
        .is_some_and(|name| {
            let name = name.to_lowercase();
            MONO_FONTS.iter().any(|m| name.contains(m))
        })
}

impl Reader<'_> {
    fn read_styles(&mut self, el: &El) {
        for s in el.children_named("w:style") {
            let Some(id) = s.attr("w:styleId") else {
                continue;
            };
            let ppr = s.child("w:pPr");
            let rpr = s.child("w:rPr");
            let style = Style {
                name: s.child_val("w:name").unwrap_or(id).to_lowercase(),
                based_on: s.child_val("w:basedOn").map(str::to_string),
                outline: ppr
                    .and_then(|p| p.child_val("w:outlineLvl"))
                    .and_then(|v| v.parse().ok()),
                num: ppr.and_then(|p| p.child("w:numPr")).and_then(|n| {
                    Some((
                        n.child_val("w:numId")?.to_string(),
                        n.child_val("w:ilvl")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0),
                    ))
                }),
                lang: rpr
                    .and_then(|r| r.child("w:lang"))
                    .and_then(|l| l.attr("w:val"))
                    .map(str::to_string),
                bold: rpr.and_then(|r| r.flag("w:b")),
                italic: rpr.and_then(|r| r.flag("w:i")),
                mono: rpr.is_some_and(is_mono_font),
            };
            if s.attr("w:type") == Some("paragraph") && s.flag("w:default") == Some(true) {
                self.default_para_style = Some(id.to_string());
            }
            self.styles.insert(id.to_string(), style);
        }
    }

    /// The chain of a style and the styles it is based on (at most 20, cycles cut).
    fn chain(&self, id: &str) -> Vec<&Style> {
        let mut out = Vec::new();
        let mut next = Some(id.to_string());
        while let Some(id) = next {
            let Some(s) = self.styles.get(&id) else { break };
            out.push(s);
            if out.len() > 20 {
                break;
            }
            next = s.based_on.clone();
        }
        out
    }

    fn blocks(&mut self, container: &El) -> Vec<Block> {
        let mut out = Vec::new();
        self.blocks_into(container, &mut out);
        out
    }

    fn blocks_into(&mut self, container: &El, out: &mut Vec<Block>) {
        for e in container.elements() {
            match e.name.as_str() {
                "w:p" => self.paragraph(e, out),
                "w:tbl" => {
                    let t = self.table(e);
                    out.push(Block::Table(t));
                }
                "w:sdt" => {
                    let gallery = e
                        .child("w:sdtPr")
                        .and_then(|p| p.find("w:docPartGallery"))
                        .and_then(|g| g.attr("w:val"))
                        .unwrap_or("");
                    if gallery.contains("Table of Contents") {
                        self.warnings.once(
                            "toc",
                            "the document's own table of contents was left out: the book makes its contents from the headings".into(),
                        );
                        continue;
                    }
                    if let Some(c) = e.child("w:sdtContent") {
                        self.blocks_into(c, out);
                    }
                }
                "w:customXml" | "w:ins" | "w:moveTo" | "w:smartTag" => self.blocks_into(e, out),
                // A bookmark between paragraphs marks the paragraph that follows.
                "w:bookmarkStart" => {
                    if let Some(name) = e.attr("w:name") {
                        self.pending_anchors.push(name.to_string());
                    }
                }
                "w:del" | "w:moveFrom" => self.warnings.once(
                    "tracked",
                    "the document has tracked changes: they were taken as accepted (deleted text left out, inserted text kept)".into(),
                ),
                "mc:AlternateContent" => {
                    if let Some(c) = e.child("mc:Choice").or(e.child("mc:Fallback")) {
                        self.blocks_into(c, out);
                    }
                }
                _ => {}
            }
        }
    }

    fn paragraph(&mut self, p: &El, out: &mut Vec<Block>) {
        self.paragraph += 1;
        let ppr = p.child("w:pPr");
        let style_id = ppr
            .and_then(|pr| pr.child_val("w:pStyle"))
            .map(str::to_string)
            .or_else(|| self.default_para_style.clone());
        let chain: Vec<Style> = style_id
            .as_deref()
            .map(|id| self.chain(id).into_iter().cloned().collect())
            .unwrap_or_default();
        let style_name = chain.first().map(|s| s.name.clone()).unwrap_or_default();
        let para_lang = chain.iter().find_map(|s| s.lang.clone());
        let outline = ppr
            .and_then(|pr| pr.child_val("w:outlineLvl"))
            .and_then(|v| v.parse::<u8>().ok())
            .or_else(|| {
                chain.iter().find_map(|s| {
                    s.name
                        .strip_prefix("heading ")
                        .and_then(|n| n.parse::<u8>().ok())
                        .map(|n| n.saturating_sub(1))
                        .or(s.outline)
                })
            })
            .filter(|&l| l < 9);
        let base = Fmt {
            bold: chain.iter().find_map(|s| s.bold).unwrap_or(false),
            italic: chain.iter().find_map(|s| s.italic).unwrap_or(false),
            code: chain.iter().any(|s| s.mono),
            ..Fmt::default()
        };
        let kind = if style_name.starts_with("toc ") || style_name == "table of figures" {
            self.warnings.once(
                "toc",
                "the document's own table of contents was left out: the book makes its contents from the headings".into(),
            );
            return;
        } else if style_name == "title" {
            ParaKind::Title
        } else if style_name == "subtitle" {
            ParaKind::Subtitle
        } else if let Some(level) = outline {
            ParaKind::Heading(level + 1)
        } else if matches!(
            style_name.as_str(),
            "caption" | "image caption" | "table caption"
        ) {
            ParaKind::Caption
        } else if matches!(
            style_name.as_str(),
            "quote" | "intense quote" | "block text" | "block quote"
        ) {
            ParaKind::Quote
        } else if base.code
            || matches!(
                style_name.as_str(),
                "source code" | "html preformatted" | "plain text" | "code"
            )
        {
            ParaKind::Code
        } else {
            let num = ppr
                .and_then(|pr| pr.child("w:numPr"))
                .and_then(|n| {
                    Some((
                        n.child_val("w:numId")?.to_string(),
                        n.child_val("w:ilvl").and_then(|v| v.parse().ok()),
                    ))
                })
                .map(|(id, lvl)| {
                    let from_style = chain.iter().find_map(|s| s.num.clone());
                    let lvl = lvl.or(from_style.map(|s| s.1)).unwrap_or(0);
                    (id, lvl)
                })
                .or_else(|| chain.iter().find_map(|s| s.num.clone()));
            match num.and_then(|(id, lvl)| {
                self.numbering
                    .level(&id, lvl)
                    .map(|(ordered, start)| ListInfo {
                        list: id,
                        level: lvl,
                        ordered,
                        start,
                    })
            }) {
                Some(info) => ParaKind::ListItem(info),
                None => ParaKind::Normal,
            }
        };
        let mut para = Para {
            kind,
            inlines: Vec::new(),
            place: self.paragraph,
            extra: Vec::new(),
            heading_context: self.heading.clone(),
            barrier: 0,
        };
        para.inlines
            .extend(self.pending_anchors.drain(..).map(Inline::Anchor));
        para.barrier = para.inlines.len();
        let toc_before = self.in_toc;
        let ctx = RunCtx {
            base,
            para_lang,
            style_chain: &chain,
        };
        self.toc_seen = false;
        self.inlines(p, &mut para, &ctx);
        // Entries of Word's own table of contents (a TOC field's result) are left out.
        if toc_before || self.in_toc || self.toc_seen {
            return;
        }
        if let ParaKind::Heading(_) = para.kind {
            self.heading = plain_text(&para.inlines);
        }
        let extra = std::mem::take(&mut para.extra);
        out.push(Block::Para(para));
        out.extend(extra);
    }

    fn inlines(&mut self, el: &El, para: &mut Para, ctx: &RunCtx) {
        for n in &el.children {
            let Node::El(e) = n else { continue };
            match e.name.as_str() {
                "w:r" => self.run(e, para, ctx),
                "w:hyperlink" => {
                    let start = para.inlines.len();
                    para.barrier = start;
                    self.inlines(e, para, ctx);
                    let content: Vec<Inline> = para.inlines.drain(start..).collect();
                    let target = if let Some(id) = e.attr("r:id") {
                        let url = self.rels.get(id).map(|r| {
                            if r.external {
                                r.target.clone()
                            } else {
                                String::new()
                            }
                        });
                        let url = match (url, e.attr("w:anchor")) {
                            (Some(u), Some(a)) if !u.is_empty() => format!("{u}#{a}"),
                            (Some(u), _) => u,
                            (None, _) => String::new(),
                        };
                        super::LinkTarget::Url(url)
                    } else if let Some(a) = e.attr("w:anchor") {
                        super::LinkTarget::Anchor(a.to_string())
                    } else {
                        super::LinkTarget::Url(String::new())
                    };
                    para.inlines.push(Inline::Link { target, content });
                }
                "w:fldSimple" => {
                    let instr = e.attr("w:instr").unwrap_or("").to_string();
                    let start = para.inlines.len();
                    para.barrier = start;
                    self.inlines(e, para, ctx);
                    self.finish_field(&instr, start, para);
                }
                "w:ins" | "w:smartTag" | "w:customXml" | "w:moveTo" | "w:dir" | "w:bdo" => {
                    self.inlines(e, para, ctx)
                }
                "w:sdt" => {
                    if let Some(c) = e.child("w:sdtContent") {
                        self.inlines(c, para, ctx);
                    }
                }
                "w:del" | "w:moveFrom" => self.warnings.once(
                    "tracked",
                    "the document has tracked changes: they were taken as accepted (deleted text left out, inserted text kept)".into(),
                ),
                "m:oMathPara" => {
                    for m in e.children_named("m:oMath") {
                        self.math(m, true, para);
                    }
                }
                "m:oMath" => self.math(e, false, para),
                "w:bookmarkStart" => {
                    if let Some(name) = e.attr("w:name") {
                        para.inlines.push(Inline::Anchor(name.to_string()));
                    }
                }
                "mc:AlternateContent" => {
                    if let Some(c) = e.child("mc:Choice").or(e.child("mc:Fallback")) {
                        self.inlines(c, para, ctx);
                    }
                }
                "w:commentRangeStart" => self.warnings.once(
                    "comments",
                    "the document's comments were left out: they are notes to the authors, not text of the book".into(),
                ),
                _ => {}
            }
        }
    }

    fn math(&mut self, m: &El, display: bool, para: &mut Para) {
        let (latex, unknown) = super::omml::to_latex(m);
        for u in unknown {
            self.warn_here(
                para,
                format!("an equation uses {u}, which has no LaTeX counterpart; its content was kept, check the formula"),
            );
        }
        if !latex.is_empty() {
            para.inlines.push(Inline::Math { latex, display });
        }
    }

    fn warn_here(&mut self, para: &Para, message: String) {
        let place = if para.heading_context.is_empty() {
            format!("paragraph {}", para.place)
        } else {
            format!(
                "paragraph {} (under «{}»)",
                para.place, para.heading_context
            )
        };
        self.warnings.push(format!("{place}: {message}"));
    }

    fn run(&mut self, r: &El, para: &mut Para, ctx: &RunCtx) {
        let rpr = r.child("w:rPr");
        let char_style: Vec<Style> = rpr
            .and_then(|p| p.child_val("w:rStyle"))
            .map(|id| self.chain(id).into_iter().cloned().collect())
            .unwrap_or_default();
        let flag = |name: &str, from_style: fn(&Style) -> Option<bool>, base: bool| {
            rpr.and_then(|p| p.flag(name))
                .or_else(|| char_style.iter().find_map(from_style))
                .unwrap_or(base)
        };
        let valign = rpr.and_then(|p| p.child_val("w:vertAlign")).unwrap_or("");
        let fmt = Fmt {
            bold: flag("w:b", |s| s.bold, ctx.base.bold),
            italic: flag("w:i", |s| s.italic, ctx.base.italic),
            strike: rpr.and_then(|p| p.flag("w:strike")).unwrap_or(false),
            sup: valign == "superscript",
            sub: valign == "subscript",
            code: ctx.base.code
                || rpr.is_some_and(is_mono_font)
                || char_style
                    .iter()
                    .any(|s| s.mono || s.name.contains("verbatim")),
        };
        let lang = rpr
            .and_then(|p| p.child("w:lang"))
            .and_then(|l| l.attr("w:val"))
            .map(str::to_string)
            .or_else(|| char_style.iter().find_map(|s| s.lang.clone()))
            .or_else(|| ctx.para_lang.clone())
            .or_else(|| ctx.style_chain.iter().find_map(|s| s.lang.clone()));
        let hidden = rpr.and_then(|p| p.flag("w:vanish")).unwrap_or(false);
        for n in &r.children {
            let Node::El(e) = n else { continue };
            match e.name.as_str() {
                "w:fldChar" => match e.attr("w:fldCharType") {
                    Some("begin") => self.fields.push(Field {
                        instr: String::new(),
                        result_from: None,
                        paragraph: self.paragraph,
                    }),
                    Some("separate") => {
                        if let Some(f) = self.fields.last_mut() {
                            f.result_from = Some(para.inlines.len());
                            para.barrier = para.inlines.len();
                            if f.instr.trim_start().starts_with("TOC") {
                                self.in_toc = true;
                                self.toc_seen = true;
                                self.warnings.once(
                                    "toc",
                                    "the document's own table of contents was left out: the book makes its contents from the headings".into(),
                                );
                            }
                        }
                    }
                    Some("end") => {
                        if let Some(f) = self.fields.pop() {
                            if f.instr.trim_start().starts_with("TOC") {
                                self.in_toc = false;
                                self.toc_seen = true;
                            } else if f.paragraph == self.paragraph {
                                let from = f.result_from.unwrap_or(para.inlines.len());
                                self.finish_field(&f.instr, from, para);
                            }
                        }
                    }
                    _ => {}
                },
                "w:instrText" => {
                    if let Some(f) = self.fields.last_mut() {
                        f.instr.push_str(&e.text());
                    }
                }
                _ if self.fields.last().is_some_and(|f| f.result_from.is_none()) => {
                    // Inside a field's instructions: not text of the document.
                }
                "w:t" if !hidden => push_text(para, &e.text(), fmt, lang.clone()),
                "w:tab" | "w:ptab" => push_text(para, " ", fmt, lang.clone()),
                "w:noBreakHyphen" => push_text(para, "-", fmt, lang.clone()),
                "w:br" | "w:cr" if !matches!(e.attr("w:type"), Some("page" | "column")) => {
                    para.inlines.push(Inline::Break);
                }
                "w:sym" => {
                    let ch = e
                        .attr("w:char")
                        .and_then(|c| u32::from_str_radix(c, 16).ok())
                        .and_then(|c| symbol_char(e.attr("w:font").unwrap_or(""), c));
                    match ch {
                        Some(c) => push_text(para, &c.to_string(), fmt, lang.clone()),
                        None => {
                            let desc = format!(
                                "a symbol from the font {} (code {}) has no Unicode equivalent here; it is shown as [?]",
                                e.attr("w:font").unwrap_or("?"),
                                e.attr("w:char").unwrap_or("?")
                            );
                            self.warn_here(para, desc);
                            push_text(para, "[?]", fmt, lang.clone());
                        }
                    }
                }
                "w:footnoteReference" => {
                    if let Some(id) = e.attr("w:id") {
                        para.inlines.push(Inline::Note(id.to_string()));
                    }
                }
                "w:endnoteReference" => {
                    if let Some(id) = e.attr("w:id") {
                        para.inlines.push(Inline::Note(format!("e{id}")));
                    }
                }
                "w:drawing" => self.drawing(e, para),
                "w:pict" | "w:object" => self.vml(e, para),
                "mc:AlternateContent" => {
                    if let Some(c) = e.child("mc:Choice").or(e.child("mc:Fallback")) {
                        // The chosen branch is itself a run's content.
                        let fake = El {
                            name: "w:r".into(),
                            attrs: Vec::new(),
                            children: std::iter::once(Node::El(El {
                                name: "w:rPr".into(),
                                ..rpr.cloned().unwrap_or_default()
                            }))
                            .chain(c.children.iter().cloned())
                            .collect(),
                        };
                        self.run(&fake, para, ctx);
                    }
                }
                "w:commentReference" => {}
                _ => {}
            }
        }
    }

    /// A field's result, from inline `from` on: a HYPERLINK field becomes a link; other fields
    /// (page numbers, sequence numbers of captions, cross-references) keep their shown text.
    fn finish_field(&mut self, instr: &str, from: usize, para: &mut Para) {
        let mut words = instr.split_whitespace();
        if words.next() != Some("HYPERLINK") || from > para.inlines.len() {
            return;
        }
        let mut anchor = None;
        let mut url = None;
        while let Some(w) = words.next() {
            match w {
                "\\l" => anchor = words.next().map(|a| a.trim_matches('"').to_string()),
                w if w.starts_with('\\') => {
                    words.next();
                }
                w => url = Some(w.trim_matches('"').to_string()),
            }
        }
        let content: Vec<Inline> = para.inlines.drain(from..).collect();
        let target = match (url, anchor) {
            (Some(u), Some(a)) => super::LinkTarget::Url(format!("{u}#{a}")),
            (Some(u), None) => super::LinkTarget::Url(u),
            (None, Some(a)) => super::LinkTarget::Anchor(a),
            (None, None) => super::LinkTarget::Url(String::new()),
        };
        para.inlines.push(Inline::Link { target, content });
    }

    fn drawing(&mut self, d: &El, para: &mut Para) {
        let doc_pr = d.find("wp:docPr");
        let attr = |name: &str| {
            doc_pr
                .and_then(|p| p.attr(name))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let (descr, title) = (attr("descr"), attr("title"));
        let mut blips = Vec::new();
        d.find_all("a:blip", &mut blips);
        for blip in blips {
            // Word keeps an SVG picture in an extension, with a PNG copy as the picture itself.
            let svg = blip
                .elements()
                .find(|e| e.name == "a:extLst")
                .and_then(|l| find_suffix(l, ":svgBlip"))
                .and_then(|s| s.attr("r:embed"));
            if let Some(id) = svg.or(blip.attr("r:embed")).or(blip.attr("r:link")) {
                self.image(id, &descr, &title, para);
            }
        }
        // Text boxes and shapes with text: their paragraphs follow the paragraph.
        let mut boxes = Vec::new();
        d.find_all("w:txbxContent", &mut boxes);
        for b in boxes {
            let blocks = self.blocks(b);
            para.extra.push(Block::Boxed(blocks));
        }
    }

    fn vml(&mut self, v: &El, para: &mut Para) {
        let mut data = Vec::new();
        v.find_all("v:imagedata", &mut data);
        let descr = v
            .find("v:shape")
            .and_then(|s| s.attr("alt"))
            .unwrap_or("")
            .to_string();
        let equation_object = v.name == "w:object"
            && v.find("o:OLEObject")
                .or(v.find("OLEObject"))
                .and_then(|o| o.attr("ProgID"))
                .is_some_and(|p| p.starts_with("Equation"));
        for d in data {
            if let Some(id) = d.attr("r:id") {
                if equation_object {
                    self.warn_here(
                        para,
                        "an equation made with the old Equation Editor is only a picture in the file; it was kept as a picture: retype it as a formula ($…$)".into(),
                    );
                }
                self.image(id, &descr, "", para);
            }
        }
        let mut boxes = Vec::new();
        v.find_all("w:txbxContent", &mut boxes);
        for b in boxes {
            let blocks = self.blocks(b);
            para.extra.push(Block::Boxed(blocks));
        }
    }

    fn image(&mut self, rel_id: &str, alt: &str, title: &str, para: &mut Para) {
        let Some(rel) = self.rels.get(rel_id).cloned() else {
            self.warn_here(
                para,
                format!(
                    "a picture refers to {rel_id}, which the package does not have; it was left out"
                ),
            );
            return;
        };
        if rel.external {
            self.warn_here(
                para,
                format!("a picture is linked from outside the document ({}), not stored in it; it was left out: insert the picture itself", rel.target),
            );
            return;
        }
        let index = match self.media_part.get(&rel.target) {
            Some(&i) => i,
            None => {
                self.images.push(Image {
                    part: rel.target.clone(),
                    file: String::new(),
                });
                self.media_part
                    .insert(rel.target.clone(), self.images.len() - 1);
                self.images.len() - 1
            }
        };
        para.inlines.push(Inline::Image {
            index,
            alt: alt.to_string(),
            title: title.to_string(),
        });
    }

    fn table(&mut self, t: &El) -> Table {
        let mut rows = Vec::new();
        let mut header_rows = 0;
        for (i, tr) in t.children_named("w:tr").enumerate() {
            let header = tr
                .child("w:trPr")
                .and_then(|p| p.flag("w:tblHeader"))
                .unwrap_or(false);
            if header && header_rows == i {
                header_rows += 1;
            }
            let mut cells = Vec::new();
            for tc in tr.elements() {
                let tc = match tc.name.as_str() {
                    "w:tc" => tc,
                    "w:sdt" => match tc.child("w:sdtContent").and_then(|c| c.child("w:tc")) {
                        Some(c) => c,
                        None => continue,
                    },
                    _ => continue,
                };
                let pr = tc.child("w:tcPr");
                let span = pr
                    .and_then(|p| p.child_val("w:gridSpan"))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1u32)
                    .clamp(1, 1000);
                let vmerge = pr.and_then(|p| p.child("w:vMerge")).map(|m| {
                    // `restart` starts a merged run of cells; no value continues it.
                    m.attr("w:val") == Some("restart")
                });
                let blocks = self.blocks(tc);
                cells.push(TableCell {
                    blocks,
                    colspan: span,
                    rowspan: 1,
                    merged_into_above: vmerge == Some(false),
                });
            }
            rows.push(cells);
        }
        // Vertical merges: a continuing cell adds one to the rowspan of the cell above it in
        // the same grid column.
        let mut grid_cols: Vec<Vec<u32>> = Vec::new();
        for row in &rows {
            let mut col = 0;
            let mut starts = Vec::new();
            for c in row {
                starts.push(col);
                col += c.colspan;
            }
            grid_cols.push(starts);
        }
        for r in 1..rows.len() {
            for c in 0..rows[r].len() {
                if !rows[r][c].merged_into_above {
                    continue;
                }
                let col = grid_cols[r][c];
                // Find the cell that starts this merged run, above.
                let mut above = r;
                while above > 0 {
                    above -= 1;
                    if let Some(k) = grid_cols[above].iter().position(|&g| g == col)
                        && !rows[above][k].merged_into_above
                    {
                        rows[above][k].rowspan += 1;
                        break;
                    }
                }
            }
        }
        Table { rows, header_rows }
    }
}

/// The first descendant whose name ends with `suffix` (an element in a namespace the importer
/// does not canonicalise).
fn find_suffix<'a>(el: &'a El, suffix: &str) -> Option<&'a El> {
    for e in el.elements() {
        if e.name.ends_with(suffix) {
            return Some(e);
        }
        if let Some(f) = find_suffix(e, suffix) {
            return Some(f);
        }
    }
    None
}

struct RunCtx<'a> {
    base: Fmt,
    para_lang: Option<String>,
    style_chain: &'a [Style],
}

fn push_text(para: &mut Para, text: &str, fmt: Fmt, lang: Option<String>) {
    if text.is_empty() {
        return;
    }
    if para.inlines.len() > para.barrier
        && let Some(Inline::Text {
            text: t,
            fmt: f,
            lang: l,
        }) = para.inlines.last_mut()
        && *f == fmt
        && *l == lang
    {
        t.push_str(text);
        return;
    }
    para.inlines.push(Inline::Text {
        text: text.to_string(),
        fmt,
        lang,
    });
}

pub fn plain_text(inlines: &[Inline]) -> String {
    let mut s = String::new();
    for i in inlines {
        match i {
            Inline::Text { text, .. } => s.push_str(text),
            Inline::Link { content, .. } => s.push_str(&plain_text(content)),
            Inline::Break => s.push(' '),
            _ => {}
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Characters of the Symbol and Wingdings fonts that Word stores as `w:sym` (the private-use
/// range F000–F0FF mirrors 0000–00FF).
fn symbol_char(font: &str, code: u32) -> Option<char> {
    let code = if (0xF000..=0xF0FF).contains(&code) {
        code - 0xF000
    } else {
        code
    };
    if font.eq_ignore_ascii_case("Symbol") {
        let c = match code {
            0x22 => 0x2200,
            0x24 => 0x2203,
            0x27 => 0x220D,
            0x2A => 0x2217,
            0x2D => 0x2212,
            0x40 => 0x2245,
            0x41..=0x5A => greek(code - 0x41, true)?,
            0x61..=0x7A => greek(code - 0x61, false)?,
            0xA3 => 0x2264,
            0xA5 => 0x221E,
            0xAB => 0x2194,
            0xAC => 0x2190,
            0xAD => 0x2191,
            0xAE => 0x2192,
            0xAF => 0x2193,
            0xB0 => 0x00B0,
            0xB1 => 0x00B1,
            0xB3 => 0x2265,
            0xB4 => 0x00D7,
            0xB7 => 0x2022,
            0xB8 => 0x00F7,
            0xB9 => 0x2260,
            0xBA => 0x2261,
            0xBB => 0x2248,
            0xC6 => 0x2205,
            0xC7 => 0x2229,
            0xC8 => 0x222A,
            0xCE => 0x2208,
            0xCF => 0x2209,
            0xD0 => 0x2220,
            0xD6 => 0x221A,
            0xD7 => 0x22C5,
            0xDE => 0x21D2,
            0xDB => 0x21D4,
            0xE5 => 0x2211,
            0xF2 => 0x222B,
            0x20..=0x3F | 0x5B | 0x5D | 0x5F | 0x7B..=0x7D => code,
            _ => return None,
        };
        return char::from_u32(c);
    }
    if font.to_lowercase().starts_with("wingdings") {
        return match code {
            0x9F | 0xA7 | 0x6C => Some('•'),
            0xFC => Some('✓'),
            0xFB => Some('✗'),
            0xD8 => Some('➢'),
            0xE0 => Some('→'),
            _ => None,
        };
    }
    if code >= 0x20 && !(0xE000..=0xF8FF).contains(&code) {
        return char::from_u32(code);
    }
    None
}

fn greek(i: u32, upper: bool) -> Option<u32> {
    // A–Z of the Symbol font: ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ
    const MAP: [u32; 26] = [
        0x391, 0x392, 0x3A7, 0x394, 0x395, 0x3A6, 0x393, 0x397, 0x399, 0x3D1, 0x39A, 0x39B, 0x39C,
        0x39D, 0x39F, 0x3A0, 0x398, 0x3A1, 0x3A3, 0x3A4, 0x3A5, 0x3C2, 0x3A9, 0x39E, 0x3A8, 0x396,
    ];
    let c = *MAP.get(i as usize)?;
    Some(if upper || c == 0x3D1 || c == 0x3C2 {
        c
    } else {
        c + 0x20
    })
}
