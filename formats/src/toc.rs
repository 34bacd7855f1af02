//! The nested contents shared by the EPUB navigation document and the web reader's contents page.

use crate::book::CompiledBook;
use corpus::TocKind;

#[derive(Debug, Clone, PartialEq)]
pub struct NavItem {
    pub title: String,
    /// Chapter index and fragment; None for a part heading.
    pub target: Option<(usize, String)>,
    pub children: Vec<NavItem>,
}

/// Parts hold the chapters after them; chapters nest by depth; with `sections`, each chapter
/// also lists its second-level headings. Drafts and empty parts are left out (they have no page).
pub fn nav_items(book: &CompiledBook, sections: bool) -> Vec<NavItem> {
    // (level, item) in reading order, then folded into a tree.
    let mut flat: Vec<(usize, NavItem)> = Vec::new();
    let mut in_part = false;
    for entry in &book.toc {
        match entry.kind {
            TocKind::Part => {
                in_part = true;
                flat.push((
                    0,
                    NavItem {
                        title: entry.title.clone(),
                        target: None,
                        children: Vec::new(),
                    },
                ));
            }
            TocKind::Draft => {}
            TocKind::Chapter(i) => {
                let Some(ch) = book.chapters.get(i) else {
                    continue;
                };
                let level = entry.depth + usize::from(in_part);
                let title = if entry.title.is_empty() {
                    ch.title.clone()
                } else {
                    entry.title.clone()
                };
                let title = match &ch.number {
                    Some(n) => format!("{n} {title}"),
                    None => title,
                };
                let mut item = NavItem {
                    title,
                    target: Some((i, String::new())),
                    children: Vec::new(),
                };
                if sections {
                    let top = ch.headings.iter().map(|h| h.level).min().unwrap_or(1);
                    for h in ch.headings.iter().filter(|h| h.level == top + 1) {
                        item.children.push(NavItem {
                            title: h.text.clone(),
                            target: Some((i, h.id.clone())),
                            children: Vec::new(),
                        });
                    }
                }
                flat.push((level, item));
            }
        }
    }
    fold(&mut flat.into_iter().peekable(), 0)
}

fn fold(
    items: &mut std::iter::Peekable<std::vec::IntoIter<(usize, NavItem)>>,
    level: usize,
) -> Vec<NavItem> {
    let mut out: Vec<NavItem> = Vec::new();
    while let Some((l, _)) = items.peek() {
        if *l < level {
            break;
        }
        let (l, mut item) = items.next().expect("peeked");
        if l > level && !out.is_empty() {
            // Deeper than expected: attach to the previous item.
            let mut nested = vec![item];
            nested.extend(fold(items, l));
            out.last_mut().expect("not empty").children.extend(nested);
            continue;
        }
        let children = fold(items, l + 1);
        item.children.extend(children);
        out.push(item);
    }
    // A part with no chapters under it has nothing to point at.
    out.retain(|i| i.target.is_some() || !i.children.is_empty());
    out
}
