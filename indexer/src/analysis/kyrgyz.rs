//! Kyrgyz stemmer: strips inflectional and a few derivational suffixes, right to left in morphotactic order, with vowel-harmony-aware allomorph classes and guards for short words, loanwords and Russian forms.
//!
//! Suffix order (outermost first), as a slot number that must decrease:
//! predicative person 90 > past person 85 > case 80 > possessive 70 > plural 60 >
//! derivation (-луу/-сыз 54, -чы after a verbal noun 53, -гыч 52) > tense, participle,
//! converb, verbal noun 40-45 > negation 30 > passive 20 (but not -ын on л-final roots,
//! which makes a verb of its own: see `voice_root`). A pass strips what it can;
//! passes repeat until nothing changes, so a bare stem and its inflected forms always
//! meet (`төрага` and `төрагаларынын` both lose the dative-looking `-га`). Once a
//! suffix only verbs take is gone, later passes strip only verbal suffixes
//! (`колдоо` → колдо, not кол + locative). -лык is kept (see `derivation_base`).
//! Verbal nouns in -оо/-өө get their root vowel back (`каттоо` → катта), and the
//! voiced alternants г б at the end of a stem go back to к п (`китеби` → китеп).

/// Patterns use lowercase Cyrillic letters literally and these placeholders:
/// `A` low vowel а е о ө; `I` high vowel ы и у ү; `L` л д т; `D` д т; `G` г к;
/// `M` м б п; `B` б п.
#[inline]
fn class_matches(p: char, c: char) -> bool {
    match p {
        'A' => matches!(c, 'а' | 'е' | 'о' | 'ө'),
        'I' => matches!(c, 'ы' | 'и' | 'у' | 'ү'),
        'L' => matches!(c, 'л' | 'д' | 'т'),
        'D' => matches!(c, 'д' | 'т'),
        'G' => matches!(c, 'г' | 'к'),
        'M' => matches!(c, 'м' | 'б' | 'п'),
        'B' => matches!(c, 'б' | 'п'),
        _ => p == c,
    }
}

#[inline]
fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'а' | 'е' | 'ё' | 'и' | 'о' | 'у' | 'ы' | 'э' | 'ю' | 'я' | 'ө' | 'ү' | 'і' | 'ә'
    )
}

#[inline]
fn is_voiced(c: char) -> bool {
    matches!(
        c,
        'б' | 'в' | 'г' | 'д' | 'ж' | 'з' | 'й' | 'л' | 'м' | 'н' | 'ң' | 'р'
    )
}

/// Does the stem end the way the suffix allomorph requires?
fn fits(before: Before, rest: &str) -> bool {
    let mut it = rest.chars().rev();
    let Some(c) = it.next() else {
        return false;
    };
    match before {
        Any => true,
        Vowel => is_vowel(c),
        Consonant => !is_vowel(c),
        Voiced => is_voiced(c),
        Voiceless => !is_vowel(c) && !is_voiced(c),
        VowelVoiced => is_vowel(c) || is_voiced(c),
        VowelJR => is_vowel(c) || c == 'й' || c == 'р',
        High => matches!(c, 'ы' | 'и' | 'у' | 'ү'),
        DoubleVowel => is_vowel(c) && it.next() == Some(c),
        NotK => !is_vowel(c) && c != 'к',
        L => c == 'л',
    }
}

/// Byte offset where `pat` starts if `word` ends with it.
#[inline]
fn suffix_start(word: &str, pat: &str) -> Option<usize> {
    let mut w = word.char_indices().rev();
    let mut start = word.len();
    for p in pat.chars().rev() {
        let (i, c) = w.next()?;
        if !class_matches(p, c) {
            return None;
        }
        start = i;
    }
    Some(start)
}

/// What the stem must end with for a suffix allomorph to fit.
#[derive(Clone, Copy, PartialEq)]
enum Before {
    Any,
    Vowel,
    Consonant,
    /// Voiced consonant (б в г д ж з й л м н ң р).
    Voiced,
    /// Voiceless consonant (к п с т ф х ц ч ш щ).
    Voiceless,
    /// Vowel or voiced consonant.
    VowelVoiced,
    /// Vowel, й or р (where -лар, -лык, -луу take л).
    VowelJR,
    /// ы и у ү: the 3rd person possessive, before its n-case forms.
    High,
    /// Two equal vowels: a verbal noun (окуу, айдоо).
    DoubleVowel,
    /// Any consonant but к.
    NotK,
    /// Only л (passive -ын of л-final roots: алын, салын).
    L,
}

/// Marks a suffix that only verbs take (lets negation and passive be stripped inside it).
const VERBAL: u8 = 1;
/// Strippable only inside a verbal suffix (negation, passive).
const NEEDS_VERBAL: u8 = 2;
/// Strippable only inside a predicative person ending.
const NEEDS_PERSON: u8 = 4;
/// Verbal noun -оо/-өө: the root's final vowel is restored by harmony.
const RESTORE_VOWEL: u8 = 8;
/// Only verbs take this suffix (unlike -ды, which is also the accusative): what is
/// left is a verb stem, so later passes strip only verbal suffixes from it
/// (`колдоо` → колдо, not кол + locative).
const VERB_ONLY: u8 = 16;
/// A voice suffix that makes a verb of its own (passive -ын on л-final roots: алын- be received,
/// салын- be built, бөлүн- be divided, билин- become known). [`stem`] keeps it, and
/// [`voice_root`] gives the root that the index holds beside it.
const LEXICAL_VOICE: u8 = 32;

struct Rule {
    pat: &'static str,
    slot: u8,
    before: Before,
    /// Minimum letters left in the stem.
    min: u8,
    flags: u8,
}

const fn r(pat: &'static str, slot: u8, before: Before, min: u8, flags: u8) -> Rule {
    Rule {
        pat,
        slot,
        before,
        min,
        flags,
    }
}

use Before::{
    Any, Consonant, DoubleVowel, High, L, NotK, Voiced, Voiceless, Vowel, VowelJR, VowelVoiced,
};

static RULES: &[Rule] = &[
    // Predicative person endings (also on participles: барганмын).
    r("мIн", 90, Any, 3, 0),
    r("сIң", 90, Any, 3, 0),
    r("сIңAр", 90, Any, 3, 0),
    r("сIздAр", 90, Any, 3, 0),
    r("BIз", 90, Any, 3, 0),
    // Past tense with person: жаздым, жаздыңыз, жаздыңар.
    r("DIм", 85, Any, 2, VERBAL),
    r("DIңIз", 85, Any, 2, VERBAL),
    r("DIңAр", 85, Any, 2, VERBAL),
    // Genitive: -нын after vowels, -дын after voiced, -тын after voiceless consonants.
    r("нIн", 80, Vowel, 2, 0),
    r("дIн", 80, Voiced, 2, 0),
    r("тIн", 80, Voiceless, 2, 0),
    // Accusative -ны/-ды/-ты; -ды/-ты after a consonant may also be the past
    // tense, and after a vowel -ды can only be the past tense (баштады).
    r("нI", 80, Vowel, 2, 0),
    r("дI", 80, Voiced, 2, VERBAL),
    r("тI", 80, Voiceless, 2, VERBAL),
    r("дI", 80, Vowel, 3, VERBAL | VERB_ONLY),
    // Accusative -н after the 3rd person possessive (китебин, баласын).
    r("Iн", 80, Consonant, 3, 0),
    r("сIн", 80, Vowel, 2, 0),
    // Dative -га/-ка; -на after the 3rd person possessive.
    r("гA", 80, VowelVoiced, 2, 0),
    r("кA", 80, Voiceless, 2, 0),
    r("нA", 80, High, 2, 0),
    // Locative -да/-та; -нда after the possessive.
    r("дA", 80, VowelVoiced, 2, 0),
    r("тA", 80, Voiceless, 2, 0),
    r("нDA", 80, High, 2, 0),
    // Ablative -дан/-тан; -нан after the possessive.
    r("дAн", 80, VowelVoiced, 2, 0),
    r("тAн", 80, Voiceless, 2, 0),
    r("нAн", 80, High, 2, 0),
    // Locative attributive -дагы (шаардагы, аймагындагы).
    r("дAгI", 80, VowelVoiced, 2, 0),
    r("тAгI", 80, Voiceless, 2, 0),
    r("нDAгI", 80, High, 2, 0),
    // Terminative -гача, similative -дай.
    r("GAчA", 80, Any, 2, 0),
    r("дAй", 80, VowelVoiced, 3, 0),
    r("тAй", 80, Voiceless, 3, 0),
    // Attributive -кы/-гы after a consonant (бүгүнкү, тышкы, негизги); not
    // after к, where -кы is the possessive of a к-final noun (банкы, калкы).
    r("кI", 80, NotK, 3, 0),
    r("гI", 80, Consonant, 3, 0),
    // Possessive: 1pl, 2 polite, 2pl, 3rd person.
    r("IбIз", 70, Consonant, 2, 0),
    r("бIз", 70, Vowel, 2, 0),
    r("IңIз", 70, Consonant, 2, 0),
    r("ңIз", 70, Vowel, 2, 0),
    r("IңAр", 70, Consonant, 2, 0),
    r("ңAр", 70, Vowel, 2, 0),
    r("IңIздAр", 70, Consonant, 2, 0),
    r("сI", 70, Vowel, 2, 0),
    r("I", 70, Consonant, 2, 0),
    // Plural: -лар after vowels, й, р; -дар after voiced; -тар after voiceless.
    r("лAр", 60, VowelJR, 2, 0),
    r("дAр", 60, Voiced, 2, 0),
    r("тAр", 60, Voiceless, 2, 0),
    // -лык is not stripped here: it mostly makes a word of its own (министрлик,
    // кызматташтык); see `derivation_base` for query expansion.
    // "Having" -луу/-дуу/-туу; a -туу after a vowel or voiced consonant is the
    // verbal noun of a т-final verb (айтуу, тартуу), so it is left to that rule.
    r("лII", 54, VowelJR, 3, 0),
    r("дII", 54, Voiced, 3, 0),
    r("тII", 54, Voiceless, 3, 0),
    // "Without" -сыз.
    r("сIз", 54, Any, 3, 0),
    // Agent -чы on a verbal noun (окуучу, айдоочу, төлөөчү); after other stems
    // -чы makes a separate word (жумушчу, спортчу), so it stays.
    r("чI", 53, DoubleVowel, 3, 0),
    // Instrument/agent -гыч (сактагыч).
    r("гIч", 52, VowelVoiced, 3, VERBAL | VERB_ONLY),
    r("кIч", 52, Voiceless, 3, VERBAL | VERB_ONLY),
    // Participle -ган, present 3rd person -йт, negative present -байт/-бай.
    r("гAн", 45, VowelVoiced, 2, VERBAL | VERB_ONLY),
    r("кAн", 45, Voiceless, 2, VERBAL | VERB_ONLY),
    r("йт", 45, Vowel, 2, VERBAL | VERB_ONLY),
    r("MAйт", 45, Any, 2, VERBAL | VERB_ONLY),
    r("MAй", 45, Any, 3, VERBAL | VERB_ONLY),
    // Present/converb -а before a person ending (жазабыз, келебиз).
    r("A", 44, Consonant, 2, VERBAL | NEEDS_PERSON | VERB_ONLY),
    // Converb -ып after consonants, -п after vowels (жазып, окуп, иштеп).
    r("Iп", 42, Consonant, 2, VERBAL | VERB_ONLY),
    r("п", 42, Vowel, 3, VERBAL | VERB_ONLY),
    // Verbal noun: -уу/-үү after consonants, -оо/-өө after а е о ө roots.
    r("уу", 42, Consonant, 2, VERBAL | VERB_ONLY),
    r("үү", 42, Consonant, 2, VERBAL | VERB_ONLY),
    r("оо", 42, Consonant, 2, VERBAL | RESTORE_VOWEL | VERB_ONLY),
    r("өө", 42, Consonant, 2, VERBAL | RESTORE_VOWEL | VERB_ONLY),
    // Negation -ба/-па/-ма inside a verbal suffix (албаган, жазбай).
    r("MA", 30, Any, 2, NEEDS_VERBAL | VERBAL | VERB_ONLY),
    // Passive -ыл (-л after vowels), -ын after л (кайтарылды, башталды, алынды).
    r("Iл", 20, Consonant, 3, NEEDS_VERBAL | VERBAL | VERB_ONLY),
    r("л", 20, Vowel, 3, NEEDS_VERBAL | VERBAL | VERB_ONLY),
    r(
        "Iн",
        20,
        L,
        2,
        NEEDS_VERBAL | VERBAL | VERB_ONLY | LEXICAL_VOICE,
    ),
];

/// Stem guard: enough letters, a vowel, and no bare consonant+vowel pair
/// (`ка` from катар, `са` from сал), which would merge unrelated words.
fn stem_ok(stem: &str, min: u8) -> bool {
    let mut n = 0u8;
    let mut has_vowel = false;
    let mut last = '\0';
    for c in stem.chars() {
        n = n.saturating_add(1);
        has_vowel |= is_vowel(c);
        last = c;
    }
    n >= min.max(2) && has_vowel && (n > 2 || !is_vowel(last))
}

/// Last vowel of `s`, as a harmony class representative.
fn last_vowel(s: &str) -> Option<char> {
    s.chars().rev().find(|&c| is_vowel(c))
}

/// Russian word forms inside Kyrgyz text: Kyrgyz suffix rules would only mangle them.
fn looks_russian(w: &str) -> bool {
    if w.contains(['щ', 'ъ', 'ё']) {
        return true;
    }
    // Kyrgyz has these endings only as verbal noun + dative (шайлоого).
    if w.ends_with("оого") || w.ends_with("өөгө") {
        return false;
    }
    [
        "ого", "его", "ому", "ему", "ыми", "ими", "ями", "ться", "ется", "ются", "ость",
    ]
    .iter()
    .any(|e| w.ends_with(e))
}

/// Slots of the derivational suffixes the stemmer strips (-луу, -сыз, -чы, -гыч): what they
/// leave is a word of its own (`күчтүү` strong, `сактагыч` reservoir).
const DERIVATION: std::ops::RangeInclusive<u8> = 52..=54;

/// A noun made from a verb with -ынды/-инди/-унду/-үндү (-нды after a vowel): `жыйынды`
/// (sum), `көбөйтүндү` (product), `бөлүндү` (quotient), `таштанды` (rubbish). The stemmer cannot
/// strip it (`алтынды`, `орунду` are accusatives of -ын nouns), so the bare noun reads as a past
/// tense (жыйын-ды) and its inflected forms keep it (жыйындыны → жыйынд): only the derived stem
/// brings them together.
fn is_deverbal_noun(stem: &str) -> bool {
    [("IндI", Consonant), ("ндI", Vowel)]
        .iter()
        .any(|&(pat, before)| {
            suffix_start(stem, pat)
                .is_some_and(|s| fits(before, &stem[..s]) && stem_ok(&stem[..s], 3))
        })
}

/// Returned by [`strip_pass`] asked to stop before a derivational suffix, when it did.
const STOPPED: u8 = 64;

/// How far the stemmer's passes go.
#[derive(Clone, Copy, PartialEq)]
enum Depth {
    /// [`stem`]: everything but a lexical voice suffix.
    Stem,
    /// [`derived_stem`]: up to the first derivational suffix.
    Derived,
    /// [`voice_root`]: everything.
    Root,
}

/// One right-to-left pass over suffixes below `max_slot`; returns the flags of
/// all suffixes stripped (0 if none). At [`Depth::Derived`], the pass stops before
/// stripping a derivational suffix and returns [`STOPPED`].
fn strip_pass(stem: &mut String, max_slot: u8, depth: Depth) -> u8 {
    let stop_at_derivation = depth == Depth::Derived;
    let mut slot = max_slot;
    let mut all_flags = 0u8;
    let mut outer_flags: Option<u8> = None;
    loop {
        if stop_at_derivation && is_deverbal_noun(stem) {
            return STOPPED;
        }
        let mut best: Option<(usize, &Rule)> = None;
        for rule in RULES.iter().filter(|r| r.slot < slot) {
            let Some(start) = suffix_start(stem, rule.pat) else {
                continue;
            };
            if best.is_some_and(|(b, _)| b <= start) {
                continue;
            }
            if rule.flags & NEEDS_VERBAL != 0 && outer_flags.is_none_or(|f| f & VERBAL == 0) {
                continue;
            }
            if rule.flags & NEEDS_PERSON != 0 && slot != 90 {
                continue;
            }
            let rest = &stem[..start];
            if !fits(rule.before, rest) {
                continue;
            }
            if stem_ok(rest, rule.min) {
                best = Some((start, rule));
            }
        }
        let Some((start, rule)) = best else {
            return all_flags;
        };
        if stop_at_derivation && DERIVATION.contains(&rule.slot) {
            return STOPPED;
        }
        if depth != Depth::Root && rule.flags & LEXICAL_VOICE != 0 {
            // What is left is a verb stem: later passes strip only verbal suffixes (бөлүндү →
            // бөлүн, not бөл + accusative -үн).
            return all_flags | VERB_ONLY;
        }
        let vowel_initial = stem[start..].chars().next().is_some_and(is_vowel);
        stem.truncate(start);
        if rule.flags & RESTORE_VOWEL != 0 {
            // каттоо → катта, токтоо → токто, иштөө → иште, сүйлөө → сүйлө.
            stem.push(low_vowel(last_vowel(stem)));
        } else if vowel_initial {
            devoice_end(stem);
        }
        slot = rule.slot;
        outer_flags = Some(rule.flags);
        // Keep a bit set even for flagless suffixes so the caller sees a change.
        all_flags |= rule.flags | 128;
    }
}

fn drop_final_high_vowel(stem: &mut String) {
    let mut it = stem.char_indices().rev();
    if let (Some((i, v)), Some((_, c))) = (it.next(), it.next())
        && matches!(v, 'ы' | 'и' | 'у' | 'ү')
        && !is_vowel(c)
        && stem_ok(&stem[..i], 2)
    {
        stem.truncate(i);
    }
}

/// Verbal noun (dictionary form) of a word read as a verb root: жаз → жазуу,
/// сакта → сактоо, иште → иштөө, оку → окуу. For query expansion: UD and the
/// stemmer's input text have bare roots, users type the -уу form, and a bare
/// root such as `сакта` otherwise looks like сак + locative.
pub fn verbal_noun(root: &str) -> String {
    let mut s = String::with_capacity(root.len() + 4);
    s.push_str(root);
    let front = matches!(
        last_vowel(root),
        Some('е' | 'и' | 'э' | 'ө' | 'ү' | 'і' | 'ә')
    );
    match root.chars().next_back() {
        Some('а' | 'о' | 'я') => {
            s.pop();
            s.push_str("оо");
        }
        Some('е' | 'ө' | 'э') => {
            s.pop();
            s.push_str("өө");
        }
        Some('ы' | 'у') => s.push('у'),
        Some('и' | 'ү') => s.push('ү'),
        Some(_) => s.push_str(if front { "үү" } else { "уу" }),
        None => {}
    }
    s
}

/// The low vowel (а е о ө) a suffix takes after a syllable whose last vowel is `v`: о after о,
/// ө after ө and ү, е after е and и, and а after а, ы and у (болот, көрөт, түшөт, келет, турат).
fn low_vowel(v: Option<char>) -> char {
    match v {
        Some('е' | 'и' | 'э' | 'і' | 'ә') => 'е',
        Some('о' | 'ё') => 'о',
        Some('ө' | 'ү') => 'ө',
        _ => 'а',
    }
}

/// The high vowel (ы и у ү) a suffix takes after a syllable whose last vowel is `v`.
fn high_vowel(v: Option<char>) -> char {
    match v {
        Some('е' | 'и' | 'э' | 'і' | 'ә') => 'и',
        Some('о' | 'у' | 'ё' | 'ю') => 'у',
        Some('ө' | 'ү') => 'ү',
        _ => 'ы',
    }
}

/// The present-future forms of a verb root, 3rd person singular and plural, for query
/// expansion: жаз → жазат, жазышат; кел → келет, келишет; бол → болот, болушат; көр → көрөт,
/// көрүшөт; чык → чыгат, чыгышат; оку → окушат (its singular окуйт already stems to the
/// root). The stemmer leaves -ат on words, because many nouns end in it (өкмөт, билет,
/// сүрөт, аракет). Nothing for roots in й (коёт is spelled apart) or of one letter.
pub fn aorist_forms(root: &str) -> Vec<String> {
    let mut chars = root.chars();
    let Some(last) = chars.next_back() else {
        return Vec::new();
    };
    if chars.next().is_none()
        || last == 'й'
        || !root
            .chars()
            .all(|c| matches!(c, 'а'..='я' | 'ө' | 'ү' | 'ң'))
    {
        return Vec::new();
    }
    let v = last_vowel(root);
    if is_vowel(last) {
        return vec![format!("{root}ш{}т", low_vowel(v))];
    }
    // к and п are voiced before the vowel: чык → чыгат, тап → табат.
    let mut base = root.to_string();
    match last {
        'к' => {
            base.pop();
            base.push('г');
        }
        'п' => {
            base.pop();
            base.push('б');
        }
        _ => {}
    }
    let high = high_vowel(v);
    vec![
        format!("{base}{}т", low_vowel(v)),
        format!("{base}{high}ш{}т", low_vowel(Some(high))),
    ]
}

/// [`aorist_forms`] of a folded root (typed without ө ү ң), folded. Folding lost whether a у
/// was ү, after which the low vowel is ө, not а: `тур` is тур (турат), but `туш` may be түш
/// (түшөт, typed тушот), so a root whose last vowel is у gets both readings.
pub fn folded_aorist_forms(root: &str) -> Vec<String> {
    use crate::analysis::fold::fold;
    let mut out: Vec<String> = aorist_forms(root).iter().map(|f| fold(f)).collect();
    if last_vowel(root) == Some('у')
        && let Some(i) = root.rfind('у')
    {
        let front = format!("{}ү{}", &root[..i], &root[i + 'у'.len_utf8()..]);
        for f in aorist_forms(&front) {
            let f = fold(&f);
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out
}

/// The root of a present-future form (`жазат`, `келишет`, `чыгат` → жаз, кел, чык), for query
/// expansion; None if the word does not end like one or too little would be left.
pub fn aorist_root(word: &str) -> Option<String> {
    let start = ["IшAт", "Aт"]
        .iter()
        .filter_map(|pat| suffix_start(word, pat))
        .find(|&start| fits(Consonant, &word[..start]) && stem_ok(&word[..start], 3))?;
    let mut root = word[..start].to_string();
    devoice_end(&mut root);
    Some(root)
}

/// к and п turn into г and б before a vowel suffix (аймагы, китеби); undo that.
fn devoice_end(stem: &mut String) {
    let new = match stem.chars().next_back() {
        Some('г') => 'к',
        Some('б') => 'п',
        _ => return,
    };
    stem.pop();
    stem.push(new);
}

/// Derivational base of a stem, for query expansion only: drops the
/// abstract/relational -лык (and an agent -чы before it), so a query
/// `транспорттук` also looks for `транспорт`. `None` if there is nothing to drop.
pub fn derivation_base(stem: &str) -> Option<&str> {
    const LYK: [(&str, Before); 3] = [("лIк", VowelJR), ("дIк", Voiced), ("тIк", Voiceless)];
    let mut end = None;
    for (pat, before) in LYK {
        if let Some(start) = suffix_start(stem, pat) {
            let rest = &stem[..start];
            if fits(before, rest) && stem_ok(rest, 3) {
                end = Some(start);
                break;
            }
        }
    }
    let mut base = &stem[..end?];
    if let Some(start) = suffix_start(base, "чI")
        && stem_ok(&base[..start], 3)
    {
        base = &base[..start];
    }
    Some(base)
}

/// Stems one lowercased, normalised word. Never panics; returns the input
/// (minus ь ъ) for words it has no rules for.
pub fn stem(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    stem_into(word, &mut out);
    out
}

/// Writes the stem of `word` into `out` (cleared first), to reuse one buffer per token stream.
pub fn stem_into(word: &str, out: &mut String) {
    if prepare(word, out) {
        strip(out, Depth::Stem);
    }
}

/// `word` without soft and hard signs in `out`, and whether the stemmer's rules apply to it.
fn prepare(word: &str, out: &mut String) -> bool {
    out.clear();
    // Soft and hard signs only mark Russian palatalisation (апрель/апрелге, объект).
    out.extend(word.chars().filter(|&c| c != 'ь' && c != 'ъ'));
    let n = out.chars().count();
    (3..=40).contains(&n)
        && out
            .chars()
            .any(|c| matches!(c, 'а'..='я' | 'ө' | 'ү' | 'ң'))
        && !looks_russian(word)
}

/// The stemmer's passes over `out`, as deep as `depth`. Returns the flags of every suffix
/// stripped, with [`STOPPED`] set if the passes stopped at a derivational suffix.
fn strip(out: &mut String, depth: Depth) -> u8 {
    // Each pass strips at least one letter, so this ends; the cap bounds the work.
    let mut max_slot = u8::MAX;
    let mut seen = 0u8;
    for _ in 0..4 {
        let flags = strip_pass(out, max_slot, depth);
        if flags == STOPPED {
            return seen | STOPPED;
        }
        if flags == 0 {
            break;
        }
        seen |= flags;
        if flags & VERB_ONLY != 0 {
            max_slot = 46;
        }
    }
    if max_slot == 46 {
        // A verb stem ending in a high vowel (оку from окуп, окуган) loses it, as
        // the bare word does through the possessive rule and окуу through the
        // verbal noun: all of them meet at ок.
        drop_final_high_vowel(out);
    }
    devoice_end(out);
    seen
}

/// A derived word with its inflections stripped, where the stemmer goes on to strip its
/// derivational suffix (-луу, -сыз, -чы, -гыч) or cannot tell it from inflections (-ынды):
/// `окуучуларга` → окуучу, `сактагычында` → сактагыч, `күчтүү` → күчтүү, `көбөйтүндүнү` →
/// көбөйтүндү. The stem conflates the derived word with its base (окуучу with
/// окуу, сактагыч with сакта); this keeps it apart too, so that its own forms can rank first.
/// `None` for words without such a suffix.
pub fn derived_stem(word: &str) -> Option<String> {
    let mut out = String::with_capacity(word.len());
    (prepare(word, &mut out) && strip(&mut out, Depth::Derived) & STOPPED != 0).then_some(out)
}

/// Another reading of a word that ends in a consonant and a high vowel: the 3rd person possessive
/// of a noun whose stem ends in two consonants. `алды` is the past tense of ал (take) to the
/// stemmer, but also "its front" (алд-ы), whose other forms (`алдында`, `алдына`) stem to алд.
/// For queries: a bare word cannot tell its readings apart. `None` when the reading gives the
/// stem again or leaves under three letters.
pub fn possessive_reading(word: &str) -> Option<String> {
    let mut it = word.char_indices().rev();
    let (i, v) = it.next()?;
    let (_, c) = it.next()?;
    if !matches!(v, 'ы' | 'и' | 'у' | 'ү') || is_vowel(c) || word[..i].chars().count() < 3 {
        return None;
    }
    // г б before the vowel are к п at the end of the stem (китеби: китеп).
    let mut bare = word[..i].to_string();
    devoice_end(&mut bare);
    let reading = stem(&bare);
    (reading != stem(word)).then_some(reading)
}

/// The root of a verb whose [`stem`] keeps a lexical passive: `алынган` → ал (the stem is алын),
/// `бөлүндү` → бөл. The index holds it beside the stem, so a search for the root finds the
/// passive too; `None` when the stem has no such suffix.
pub fn voice_root(word: &str) -> Option<String> {
    // The stem's passes and the root's are the same up to the lexical suffix, where the stem's
    // stop: the root differs from the stem exactly when its passes strip one.
    let mut root = String::with_capacity(word.len());
    (prepare(word, &mut root) && strip(&mut root, Depth::Root) & LEXICAL_VOICE != 0).then_some(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(words: &[&str]) {
        let s0 = stem(words[0]);
        for w in words {
            assert_eq!(stem(w), s0, "{w} vs {}", words[0]);
        }
    }

    #[test]
    fn verb_oku_family_meets() {
        same(&["окуу", "окуучулар", "окуп", "окуган", "оку"]);
    }

    #[test]
    fn noun_kitep_family_meets() {
        same(&["китеп", "китеби", "китептер", "китептерибизден", "китебин"]);
    }

    #[test]
    fn present_future_forms_follow_harmony_and_voicing() {
        assert_eq!(aorist_forms("жаз"), ["жазат", "жазышат"]);
        assert_eq!(aorist_forms("кел"), ["келет", "келишет"]);
        assert_eq!(aorist_forms("бол"), ["болот", "болушат"]);
        assert_eq!(aorist_forms("тур"), ["турат", "турушат"]);
        assert_eq!(aorist_forms("көр"), ["көрөт", "көрүшөт"]);
        assert_eq!(aorist_forms("түш"), ["түшөт", "түшүшөт"]);
        assert_eq!(aorist_forms("чык"), ["чыгат", "чыгышат"]);
        assert_eq!(aorist_forms("оку"), ["окушат"]);
        assert_eq!(aorist_forms("иште"), ["иштешет"]);
        assert!(aorist_forms("кой").is_empty() && aorist_forms("").is_empty());
        for (form, root) in [
            ("жазат", "жаз"),
            ("келишет", "кел"),
            ("чыгат", "чык"),
            ("көрүшөт", "көр"),
        ] {
            assert_eq!(aorist_root(form).as_deref(), Some(root), "{form}");
        }
        // Too little would be left, or no consonant before the ending.
        for word in ["кат", "алат", "саат", "китеп"] {
            assert_eq!(aorist_root(word), None, "{word}");
        }
    }

    #[test]
    fn verbal_noun_meets_root_and_forms() {
        same(&[
            "жазуу",
            "жаз",
            "жазды",
            "жазган",
            "жазып",
            "жазылды",
            "жазбаган",
        ]);
        same(&["каттоо", "каттоону", "каттады", "катталды", "каттаган"]);
        same(&["иштөө", "иштеп", "иштейт", "иштеген"]);
        // A bare root ending like a case form is reached through its verbal noun.
        assert_eq!(verbal_noun("катта"), "каттоо");
        assert_eq!(stem(&verbal_noun("катта")), stem("каттады"));
        assert_eq!(stem(&verbal_noun("иште")), stem("иштеп"));
        assert_eq!(verbal_noun("жаз"), "жазуу");
        assert_eq!(verbal_noun("кел"), "келүү");
        assert_eq!(verbal_noun("оку"), "окуу");
        assert_eq!(verbal_noun(""), "");
    }

    #[test]
    fn case_possessive_plural() {
        same(&["аймак", "аймагы", "аймагында", "аймактар", "аймактардын"]);
        same(&["шаар", "шаардагы", "шаарга", "шаардын", "шаарлар"]);
        same(&["бала", "баласы", "баласын", "балага", "балалар"]);
        same(&["мектеп", "мектептерге", "мектебинин"]);
    }

    #[test]
    fn derivation() {
        same(&["акы", "акысыз"]);
        same(&["билим", "билимдүү"]);
        same(&["бүгүн", "бүгүнкү"]);
        same(&["негиз", "негизги"]);
    }

    #[test]
    fn a_bare_possessive_has_its_other_reading() {
        // алды: took (ал-ды) or its front (алд-ы), whose forms stem to алд.
        assert_eq!(stem("алды"), "ал");
        assert_eq!(possessive_reading("алды").as_deref(), Some("алд"));
        assert_eq!(possessive_reading("алды"), Some(stem("алдында")));
        // Nothing new where the reading is the stem, or too short, or not a possessive shape.
        for w in ["жылы", "башы", "китеби", "суу", "окуу", "ата", "ары"]
        {
            assert_eq!(possessive_reading(w), None, "{w}");
        }
    }

    #[test]
    fn a_lexical_passive_keeps_its_stem_and_gives_its_root() {
        for w in ["алынган", "алынды", "алынууда", "алынбайт"] {
            assert_eq!(stem(w), "алын", "{w}");
            assert_eq!(voice_root(w).as_deref(), Some("ал"), "{w}");
        }
        // Not read as бөл + the accusative -үн once the past tense is gone.
        for w in ["бөлүндү", "бөлүнгөн"] {
            assert_eq!(stem(w), "бөлүн", "{w}");
            assert_eq!(voice_root(w).as_deref(), Some("бөл"), "{w}");
        }
        // The -ыл passive still meets its root.
        same(&["жазылган", "жазды", "жаз"]);
        assert_eq!(stem("кайтарылды"), stem("кайтар"));
        for w in ["алды", "китеп", "жазылган", "окуучулар"] {
            assert_eq!(voice_root(w), None, "{w}");
        }
    }

    #[test]
    fn derived_words_keep_their_own_stem() {
        assert_eq!(derived_stem("окуучуларга").as_deref(), Some("окуучу"));
        assert_eq!(derived_stem("окуучу").as_deref(), Some("окуучу"));
        assert_eq!(derived_stem("сактагычында").as_deref(), Some("сактагыч"));
        assert_eq!(derived_stem("жазуучулардын").as_deref(), Some("жазуучу"));
        assert_eq!(derived_stem("күчтүү").as_deref(), Some("күчтүү"));
        assert_eq!(derived_stem("акысыз").as_deref(), Some("акысыз"));
        // Nouns in -ынды: the bare noun and its inflected forms meet at their derived stem,
        // which their stems alone do not.
        for family in [
            &[
                "көбөйтүндү",
                "көбөйтүндүнү",
                "көбөйтүндүсүн",
                "көбөйтүндүлөр",
            ][..],
            &["бөлүндү", "бөлүндүнү", "бөлүндүсү"],
            &["жыйынды", "жыйындыны", "жыйындысы", "жыйындыда"],
            &["таштанды", "таштандыдан", "таштандыны"],
        ] {
            let want = Some(family[0].to_string());
            for w in family {
                assert_eq!(derived_stem(w), want, "{w}");
            }
        }
        assert_ne!(stem("көбөйтүндү"), stem("көбөйтүндүнү"));
        // No derivational suffix: the stem says it all.
        for w in [
            "китептерибизден",
            "окуган",
            "окуп",
            "мугалимдер",
            "жыл",
            "как",
        ] {
            assert_eq!(derived_stem(w), None, "{w}");
        }
        // The stem still conflates the derived word with its base.
        assert_eq!(stem("окуучуларга"), stem("окуу"));
        assert_eq!(stem("сактагычында"), stem("сактоо"));
    }

    #[test]
    fn derivation_base_for_queries() {
        assert_eq!(derivation_base(&stem("транспорттук")), Some("транспорт"));
        assert_eq!(derivation_base(&stem("министрлиги")), Some("министр"));
        assert_eq!(derivation_base(&stem("жакырчылыкты")), Some("жакыр"));
        assert_eq!(derivation_base("китеп"), None);
        assert_eq!(derivation_base("ык"), None);
    }

    #[test]
    fn short_words_are_kept() {
        assert_eq!(stem("жыл"), "жыл");
        assert_eq!(stem("суу"), "суу");
        assert_eq!(stem("ал"), "ал");
        assert_eq!(stem("ай"), "ай");
        assert_ne!(stem("айыл"), stem("ай"));
    }

    #[test]
    fn loanwords_and_russian() {
        same(&["апрель", "апрелге"]);
        same(&["комиссия", "комиссиянын", "комиссиясы"]);
        assert_eq!(stem("государственного"), "государственного");
        assert_eq!(stem("covid"), "covid");
    }

    #[test]
    fn folded_input_still_stems() {
        assert_eq!(stem("кундор"), stem("кун"));
        assert_eq!(stem("мектептерди"), stem("мектеп"));
    }

    #[test]
    fn never_panics() {
        for w in [
            "",
            "а",
            "ң",
            "ыы",
            "1234",
            "ъъъъ",
            "👍👍",
            "аааааааааааааааааааааааааааааааааааааааааааааааа",
        ] {
            let _ = stem(w);
        }
        let long: String = "лар".repeat(10_000);
        let _ = stem(&long);
    }
}
