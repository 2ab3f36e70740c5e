//! Render a step-3 experiment timeline (SQS visibility timeouts) as SVG with the `plotters` SVG
//! backend. One lane per job ("작업 1 / job 1"); inside it one row per delivery that overlaps
//! another, so a job worked on twice at once shows as two bars one above the other. A delivery
//! draws the window its receive opened (shaded, from the receive to the moment the message shows
//! again, cut at its delete; what heartbeats added in another colour), the invocation that worked
//! on it (labelled with its receive and execution environment, `#2 · env 6`, coloured by
//! outcome) and its marks: receive, heartbeat, commit, delete, a delete that did nothing, the
//! idempotency table refusing a second commit, the moment the message is visible again, and a
//! dashed link from there to the receive it caused; the move to the DLQ sits next to the moment
//! the message showed again after its last receive.
//!
//! Labels are Korean, English or both (`작업 1 / job 1`), as [`Timeline::lang`] says.
//!
//! Everything is laid out first ([`layout`]: pixel positions, every text label's box, which
//! kinds were drawn), then painted. No fonts are loaded (text is SVG `<text>`, escaped by
//! `plotters`); widths are estimated, generously for Hangul. Labels never overlap: fixed ones are
//! placed apart by construction, optional ones (an invocation's environment) only where they
//! fit. The legend lists only what was drawn. Output is deterministic.
//!
//! Input rules: at least one job, `end_s` finite and > 0, all times finite, invocations ending
//! at or after they start (else `Err`). Times outside `0..=end_s` are clamped to the plot edge.

use std::collections::BTreeSet;

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub use crate::exercise::lang::Lang;

/// A text in both languages; [`Lang`] picks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bi {
    pub ko: String,
    pub en: String,
}
impl Bi {
    pub fn new(ko: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            ko: ko.into(),
            en: en.into(),
        }
    }
    /// Both: `ko / en` (one string, for short labels).
    pub fn one_line(&self, lang: Lang) -> String {
        match lang {
            Lang::Ko => self.ko.clone(),
            Lang::En => self.en.clone(),
            Lang::Both => format!("{} / {}", self.ko, self.en),
        }
    }
    /// Both: Korean, then English, as two paragraphs.
    fn paragraphs(&self, lang: Lang) -> Vec<&str> {
        match lang {
            Lang::Ko => vec![&self.ko],
            Lang::En => vec![&self.en],
            Lang::Both => vec![&self.ko, &self.en],
        }
    }
}
fn tr(lang: Lang, ko: &str, en: &str) -> String {
    Bi::new(ko, en).one_line(lang)
}

#[derive(Debug, Clone)]
pub struct Timeline {
    pub lang: Lang,
    /// e.g. "short-visibility: 5 jobs, 15 commits (10 duplicates), 5 in the DLQ: ..."
    pub title: Bi,
    /// e.g. "work 15 s, worker timeout 20 s, visibility 10 s, ..."
    pub subtitle: Bi,
    /// x axis end, seconds
    pub end_s: f64,
    pub jobs: Vec<JobLane>,
    /// The queue's visibility timeout set (SetQueueAttributes): (time, seconds).
    pub visibility_changes: Vec<(f64, String)>,
}
#[derive(Debug, Clone, PartialEq)]
pub struct JobLane {
    /// The job's number (its input).
    pub job: u32,
    pub deliveries: Vec<Delivery>,
    /// When the message was moved to the dead-letter queue.
    pub dlq_s: Option<f64>,
}
/// One receive of the job's message and what came of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub receive_s: f64,
    pub receive_count: u32,
    /// When the receive said the message shows again (receive + visibility timeout).
    pub visible_at_s: f64,
    /// ChangeMessageVisibility (a heartbeat): (when, the new moment it shows again).
    pub extensions: Vec<(f64, f64)>,
    /// When the message was deleted while this receive held it (the window ends there).
    pub deleted_s: Option<f64>,
    pub work: Option<Work>,
    /// Commits, deletes, ... at their times.
    pub marks: Vec<(f64, MarkKind)>,
}
/// The invocation that worked on a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Work {
    /// Execution environment, numbered in order of first use.
    pub env: usize,
    pub start_s: f64,
    pub end_s: f64,
    pub outcome: BarOutcome,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BarOutcome {
    Success,
    Error,
    Crash,
    Timeout,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkKind {
    Receive,
    Heartbeat,
    Commit,
    /// The idempotency table kept this delivery from committing (duplicate / busy).
    Skipped,
    Delete,
    StaleDelete,
    VisibleAgain,
    DlqMove,
}

/// What the legend can show: everything drawn has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Window,
    Extended,
    Bar(BarOutcome),
    Mark(MarkKind),
    Cause,
    VisibilityChange,
}

const WIDTH: i32 = 1200;
const PAD: i32 = 16;
const ROW_H: i32 = 30;
const LANE_PAD: i32 = 6;
const AXIS_H: i32 = 46;
const LEGEND_ROW_H: i32 = 24;
const MARK_W: i32 = 14;
/// (fill, border) of a receive's window, and of what heartbeats added to it.
const WINDOW: (u32, u32) = (0xd6e6fb, 0x90b4e8);
const EXTENDED: (u32, u32) = (0xf8d7e8, 0xd48aae);
const FONT: &str = "sans-serif";
const TITLE_PX: f64 = 19.0;
const SUBTITLE_PX: f64 = 13.0;
const NAME_PX: f64 = 14.0;
const TICK_PX: f64 = 12.0;
const SMALL_PX: f64 = 10.5;
const LEGEND_PX: f64 = 12.5;

fn rgb(hex: u32) -> RGBColor {
    RGBColor((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}
fn err<E: std::fmt::Display>(e: E) -> String {
    format!("SVG drawing failed: {e}")
}

/// Estimated width of `s` at `px` pixels in a sans-serif font (no font metrics here): generous,
/// Hangul and other wide characters a full em.
pub fn text_w(s: &str, px: f64, bold: bool) -> i32 {
    let em: f64 = s
        .chars()
        .map(|c| match c {
            '\u{1100}'..='\u{11ff}'
            | '\u{2e80}'..='\u{a4cf}'
            | '\u{ac00}'..='\u{d7a3}'
            | '\u{f900}'..='\u{faff}'
            | '\u{ff00}'..='\u{ffef}' => 1.0,
            ' ' | 'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.34,
            'm' | 'w' | 'M' | 'W' | '—' | '…' => 0.9,
            'A'..='Z' => 0.72,
            _ => 0.6,
        })
        .sum();
    (em * px * if bold { 1.1 } else { 1.0 }).ceil() as i32
}

/// `text` broken at spaces into lines of at most `width` pixels; a word wider than that is cut
/// into pieces (never dropped).
pub fn wrap(text: &str, px: f64, bold: bool, width: i32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if cur.is_empty() {
            word.to_owned()
        } else {
            format!("{cur} {word}")
        };
        if text_w(&candidate, px, bold) <= width {
            cur = candidate;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        // the word alone, cut if it must be
        for c in word.chars() {
            let mut next = cur.clone();
            next.push(c);
            if text_w(&next, px, bold) > width && !cur.is_empty() {
                lines.push(std::mem::replace(&mut cur, c.to_string()));
            } else {
                cur = next;
            }
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Left,
    Center,
    Right,
}

/// A text label, vertically centred on `y`.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub text: String,
    pub x: i32,
    pub y: i32,
    pub px: f64,
    pub color: u32,
    pub bold: bool,
    pub anchor: Anchor,
}
impl Label {
    /// (x0, y0, x1, y1) of the text as estimated.
    pub fn rect(&self) -> (i32, i32, i32, i32) {
        let w = text_w(&self.text, self.px, self.bold);
        let x0 = match self.anchor {
            Anchor::Left => self.x,
            Anchor::Center => self.x - w / 2,
            Anchor::Right => self.x - w,
        };
        let h = (self.px * 1.25).ceil() as i32;
        (x0, self.y - h / 2, x0 + w, self.y + h / 2)
    }
}
fn overlap(a: (i32, i32, i32, i32), b: (i32, i32, i32, i32)) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

#[derive(Debug, Clone)]
enum Prim {
    Rect {
        from: (i32, i32),
        to: (i32, i32),
        fill: u32,
        border: Option<u32>,
    },
    Line {
        points: Vec<(i32, i32)>,
        color: u32,
        width: u32,
        dashed: bool,
    },
    Mark(MarkKind, (i32, i32)),
    Bar(BarOutcome, (i32, i32), (i32, i32)),
    Text(Label),
}

/// Everything to paint, in order, and what the tests look at.
#[derive(Debug, Clone)]
pub struct Layout {
    pub width: i32,
    pub height: i32,
    prims: Vec<Prim>,
    /// Every kind drawn in the plot (not counting the legend's own swatches).
    pub drawn: BTreeSet<Key>,
    /// The legend's entries, in order.
    pub legend: Vec<Key>,
}
impl Layout {
    pub fn labels(&self) -> impl Iterator<Item = &Label> {
        self.prims.iter().filter_map(|p| match p {
            Prim::Text(l) => Some(l),
            _ => None,
        })
    }
    /// The boxes of the plot's marks (symbols), for overlap checks.
    pub fn mark_boxes(&self) -> Vec<(i32, i32, i32, i32)> {
        self.prims
            .iter()
            .filter_map(|p| match p {
                Prim::Mark(_, (x, y)) => Some(mark_box(*x, *y)),
                _ => None,
            })
            .collect()
    }
}
fn mark_box(x: i32, y: i32) -> (i32, i32, i32, i32) {
    (x - MARK_W / 2, y - 6, x + MARK_W / 2, y + 6)
}

impl BarOutcome {
    fn legend(self) -> Bi {
        match self {
            Self::Success => Bi::new(
                "호출 (수신 #n, 실행 환경 n에서)",
                "invocation (of receive #n, in env n)",
            ),
            Self::Error => Bi::new("호출 실패", "invocation failed"),
            Self::Crash => Bi::new("호출 크래시 (삭제 없음)", "invocation crashed (no delete)"),
            Self::Timeout => Bi::new("호출 시간 초과", "invocation timed out"),
        }
    }
    /// (fill, border)
    fn colors(self) -> (u32, u32) {
        match self {
            Self::Success => (0x81c784, 0x2e7d32),
            Self::Error => (0xffcc80, 0xe65100),
            Self::Crash => (0xff8a65, 0xbf360c),
            Self::Timeout => (0xffcdd2, 0xc62828),
        }
    }
}
impl MarkKind {
    fn legend(self) -> Bi {
        match self {
            Self::Receive => Bi::new("수신", "receive"),
            Self::Heartbeat => Bi::new(
                "하트비트: 가시성 타임아웃 연장 (ChangeMessageVisibility)",
                "heartbeat: visibility extended (ChangeMessageVisibility)",
            ),
            Self::Commit => Bi::new("커밋 (이체)", "commit (transfer)"),
            Self::Skipped => Bi::new(
                "멱등성 테이블이 두 번째 커밋을 막음",
                "idempotency table: no second commit",
            ),
            Self::Delete => Bi::new("삭제", "deleted"),
            Self::StaleDelete => Bi::new("삭제 효과 없음", "delete that did nothing"),
            Self::VisibleAgain => Bi::new("다시 보임", "visible again"),
            Self::DlqMove => Bi::new("DLQ로 옮겨짐", "moved to the DLQ"),
        }
    }
    /// The order of marks at one instant: cause first.
    fn order(self) -> u8 {
        match self {
            Self::Commit => 0,
            Self::Skipped => 1,
            Self::Delete | Self::StaleDelete => 2,
            Self::Heartbeat => 3,
            Self::VisibleAgain => 4,
            Self::DlqMove => 5,
            Self::Receive => 6,
        }
    }
}
impl Key {
    fn legend(self) -> Bi {
        match self {
            Key::Window => Bi::new(
                "메시지가 숨겨진 시간 (수신부터 가시성 타임아웃 동안)",
                "message hidden (from the receive, for the visibility timeout)",
            ),
            Key::Extended => Bi::new(
                "하트비트가 늘린 숨김 (없었다면 이미 다시 보임)",
                "hidden longer by the heartbeat (else visible again already)",
            ),
            Key::Bar(o) => o.legend(),
            Key::Mark(k) => k.legend(),
            Key::Cause => Bi::new("다시 보여서 다시 수신", "visible again, so received again"),
            Key::VisibilityChange => Bi::new(
                "큐의 가시성 타임아웃을 바꿈",
                "the queue's visibility timeout set",
            ),
        }
    }
}

fn validate(t: &Timeline) -> Result<(), String> {
    if t.jobs.is_empty() {
        return Err("timeline has no jobs to draw".into());
    }
    if !(t.end_s.is_finite() && t.end_s > 0.0) {
        return Err(format!(
            "end_s must be a finite number > 0, got {}",
            t.end_s
        ));
    }
    for j in &t.jobs {
        let mut times: Vec<f64> = j.dlq_s.into_iter().collect();
        for d in &j.deliveries {
            times.extend([d.receive_s, d.visible_at_s]);
            times.extend(d.deleted_s);
            times.extend(d.extensions.iter().flat_map(|&(a, b)| [a, b]));
            times.extend(d.marks.iter().map(|m| m.0));
            if let Some(w) = &d.work {
                times.extend([w.start_s, w.end_s]);
                if w.end_s < w.start_s {
                    return Err(format!(
                        "job {}: an invocation ends ({} s) before it starts ({} s)",
                        j.job, w.end_s, w.start_s
                    ));
                }
            }
        }
        if times.iter().any(|t| !t.is_finite()) {
            return Err(format!("job {} has a non-finite time", j.job));
        }
    }
    for (t, _) in &t.visibility_changes {
        if !t.is_finite() {
            return Err("a visibility change has a non-finite time".into());
        }
    }
    Ok(())
}

/// Where the window of a delivery ends, and whether the message showed again there.
fn window_end(d: &Delivery) -> (f64, bool) {
    let deadline = d.extensions.last().map_or(d.visible_at_s, |e| e.1);
    match d.deleted_s {
        Some(t) if t < deadline => (t.max(d.receive_s), false),
        _ => (deadline.max(d.receive_s), true),
    }
}

/// The delivery whose window ended last before the move to the DLQ: the move happened when
/// the message showed again after it, so its mark goes next to that moment.
fn dlq_cause(j: &JobLane) -> Option<usize> {
    let dlq = j.dlq_s?;
    j.deliveries
        .iter()
        .enumerate()
        .map(|(k, d)| (k, window_end(d)))
        .filter(|(_, (end, shown))| *shown && *end <= dlq + 1e-9)
        .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
        .map(|(k, _)| k)
}

/// A tick step giving at least `min_px` between ticks.
fn tick_step(end_s: f64, plot_w: i32, min_px: f64) -> f64 {
    let per_s = plot_w as f64 / end_s;
    let mut base = 1e-3;
    loop {
        for m in [1.0, 2.0, 5.0] {
            let step = base * m;
            if step * per_s >= min_px {
                return step;
            }
        }
        base *= 10.0;
    }
}
fn fmt_s(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A mark in a row before it is fanned out: (ideal x, order, kind, its delivery).
type RowMark = (i32, u8, MarkKind, Option<usize>);

struct Item {
    start_px: i32,
    end_px: i32,
    delivery: Option<usize>,
}

/// Lay the timeline out: every primitive at its pixel position.
pub fn layout(t: &Timeline) -> Result<Layout, String> {
    validate(t)?;
    let lang = t.lang;
    let mut prims = Vec::new();
    let mut drawn = BTreeSet::new();
    let mut occupied: Vec<(i32, i32, i32, i32)> = Vec::new();

    // title and subtitle, wrapped
    let mut y = PAD;
    for (bi, px, bold, color) in [
        (&t.title, TITLE_PX, true, 0x212121),
        (&t.subtitle, SUBTITLE_PX, false, 0x555555),
    ] {
        for para in bi.paragraphs(lang) {
            for line in wrap(para, px, bold, WIDTH - 2 * PAD) {
                let h = (px * 1.4).ceil() as i32;
                prims.push(Prim::Text(Label {
                    text: line,
                    x: PAD,
                    y: y + h / 2,
                    px,
                    color,
                    bold,
                    anchor: Anchor::Left,
                }));
                y += h;
            }
        }
        y += 4;
    }
    let strip_y = y + 8; // labels of visibility changes
    let top = y + if t.visibility_changes.is_empty() {
        8
    } else {
        24
    };

    // columns
    let names: Vec<String> = t
        .jobs
        .iter()
        .map(|j| tr(lang, &format!("작업 {}", j.job), &format!("job {}", j.job)))
        .collect();
    let name_w = names
        .iter()
        .map(|n| text_w(n, NAME_PX, true))
        .max()
        .unwrap_or(0)
        + 20;
    let left = PAD + name_w;
    let right = WIDTH - PAD - 12;
    let x_of = |s: f64| -> i32 {
        let f = (s / t.end_s).clamp(0.0, 1.0);
        left + (f * (right - left) as f64).round() as i32
    };

    // rows: deliveries (and the DLQ move) that overlap in pixels go one below the other
    let mut lane_rows: Vec<Vec<Vec<Item>>> = Vec::new();
    for j in &t.jobs {
        let dlq_by = dlq_cause(j);
        let mut items: Vec<Item> = j
            .deliveries
            .iter()
            .enumerate()
            .map(|(k, d)| {
                let mut end = window_end(d).0;
                if dlq_by == Some(k) {
                    end = end.max(j.dlq_s.unwrap_or(end));
                }
                if let Some(w) = &d.work {
                    end = end.max(w.end_s);
                }
                for m in &d.marks {
                    end = end.max(m.0);
                }
                Item {
                    start_px: x_of(d.receive_s),
                    end_px: x_of(end),
                    delivery: Some(k),
                }
            })
            .collect();
        if let (Some(s), None) = (j.dlq_s, dlq_by) {
            items.push(Item {
                start_px: x_of(s),
                end_px: x_of(s),
                delivery: None,
            });
        }
        items.sort_by_key(|i| (i.start_px, i.delivery.is_none()));
        let mut rows: Vec<Vec<Item>> = Vec::new();
        for item in items {
            // room for the marks fanned out at the end of one and the start of the next
            let gap = 3 * MARK_W;
            match rows
                .iter_mut()
                .find(|r| r.last().is_none_or(|l| l.end_px + gap <= item.start_px))
            {
                Some(r) => r.push(item),
                None => rows.push(vec![item]),
            }
        }
        if rows.is_empty() {
            rows.push(Vec::new());
        }
        lane_rows.push(rows);
    }

    // lanes
    let mut lane_y = Vec::new();
    let mut yy = top;
    for rows in &lane_rows {
        lane_y.push(yy);
        yy += rows.len() as i32 * ROW_H + 2 * LANE_PAD;
    }
    let bottom = yy;
    for (i, rows) in lane_rows.iter().enumerate() {
        let h = rows.len() as i32 * ROW_H + 2 * LANE_PAD;
        prims.push(Prim::Rect {
            from: (left, lane_y[i]),
            to: (right, lane_y[i] + h),
            fill: if i % 2 == 0 { 0xffffff } else { 0xf5f6f8 },
            border: None,
        });
        prims.push(Prim::Line {
            points: vec![(left, lane_y[i] + h), (right, lane_y[i] + h)],
            color: 0xcfcfcf,
            width: 1,
            dashed: false,
        });
        let l = Label {
            text: names[i].clone(),
            x: left - 10,
            y: lane_y[i] + h / 2,
            px: NAME_PX,
            color: 0x212121,
            bold: true,
            anchor: Anchor::Right,
        };
        occupied.push(l.rect());
        prims.push(Prim::Text(l));
    }

    // time axis: gridlines, ticks and their labels
    // the widest tick label: the largest number, or a fraction like 0.125
    let widest = text_w(&fmt_s(t.end_s), TICK_PX, false).max(text_w("0.000", TICK_PX, false));
    let step = tick_step(t.end_s, right - left, f64::from(widest.max(30) + 22));
    let mut k = 0;
    loop {
        let v = k as f64 * step;
        if v > t.end_s + 1e-9 {
            break;
        }
        let x = x_of(v);
        prims.push(Prim::Line {
            points: vec![(x, top), (x, bottom)],
            color: 0xe3e3e3,
            width: 1,
            dashed: false,
        });
        prims.push(Prim::Line {
            points: vec![(x, bottom), (x, bottom + 5)],
            color: 0x888888,
            width: 1,
            dashed: false,
        });
        let mut l = Label {
            text: fmt_s(v),
            x,
            y: bottom + 15,
            px: TICK_PX,
            color: 0x333333,
            bold: false,
            anchor: Anchor::Center,
        };
        if l.rect().2 > WIDTH - 2 {
            l.anchor = Anchor::Right;
        }
        if !occupied.iter().any(|&o| overlap(o, l.rect())) {
            occupied.push(l.rect());
            prims.push(Prim::Text(l));
        }
        k += 1;
    }
    prims.push(Prim::Line {
        points: vec![(left, bottom), (right, bottom)],
        color: 0x888888,
        width: 1,
        dashed: false,
    });
    let axis_label = Label {
        text: tr(lang, "시간 (초)", "time (s)"),
        x: (left + right) / 2,
        y: bottom + 34,
        px: 13.0,
        color: 0x333333,
        bold: false,
        anchor: Anchor::Center,
    };
    occupied.push(axis_label.rect());
    prims.push(Prim::Text(axis_label));

    // the queue's visibility changes: dashed lines over every lane, labels above
    let mut vis: Vec<(i32, String)> = t
        .visibility_changes
        .iter()
        .map(|(s, v)| {
            (
                x_of(*s),
                tr(
                    lang,
                    &format!("가시성 타임아웃 → {v}초"),
                    &format!("visibility timeout → {v} s"),
                ),
            )
        })
        .collect();
    vis.sort();
    for (x, text) in vis {
        prims.push(Prim::Line {
            points: vec![(x, top - 4), (x, bottom)],
            color: 0x00897b,
            width: 2,
            dashed: true,
        });
        drawn.insert(Key::VisibilityChange);
        let mut l = Label {
            text,
            x: x + 4,
            y: strip_y,
            px: SMALL_PX + 0.5,
            color: 0x00695c,
            bold: false,
            anchor: Anchor::Left,
        };
        if l.rect().2 > right {
            l.anchor = Anchor::Right;
            l.x = x - 4;
        }
        if !occupied.iter().any(|&o| overlap(o, l.rect())) {
            occupied.push(l.rect());
            prims.push(Prim::Text(l));
        }
    }

    // the jobs
    let mut over = Vec::new(); // marks and labels, drawn after every band and bar
    let mut env_labels: Vec<(usize, u32, i32, i32, i32, i32)> = Vec::new();
    for (i, j) in t.jobs.iter().enumerate() {
        let rows = &lane_rows[i];
        let row_of = |k: Option<usize>| {
            rows.iter()
                .position(|r| r.iter().any(|it| it.delivery == k))
                .unwrap_or(0)
        };
        let mid = |r: usize| lane_y[i] + LANE_PAD + r as i32 * ROW_H + ROW_H / 2;
        // per row: (ideal x, order, kind) of every mark
        let mut row_marks: Vec<Vec<RowMark>> = vec![Vec::new(); rows.len()];
        for (k, d) in j.deliveries.iter().enumerate() {
            let r = row_of(Some(k));
            let ym = mid(r);
            let (end, shown) = window_end(d);
            let (x0, x1) = (x_of(d.receive_s), x_of(end));
            // the window the receive opened, then what heartbeats added (another colour)
            let first = x_of(d.visible_at_s.clamp(d.receive_s, end));
            prims.push(Prim::Rect {
                from: (x0, ym - ROW_H / 2 + 2),
                to: (first.max(x0 + 1), ym + ROW_H / 2 - 2),
                fill: WINDOW.0,
                border: Some(WINDOW.1),
            });
            drawn.insert(Key::Window);
            if x1 > first {
                prims.push(Prim::Rect {
                    from: (first, ym - ROW_H / 2 + 2),
                    to: (x1, ym + ROW_H / 2 - 2),
                    fill: EXTENDED.0,
                    border: Some(EXTENDED.1),
                });
                drawn.insert(Key::Extended);
            }
            if let Some(w) = &d.work {
                let (b0, b1) = (x_of(w.start_s), x_of(w.end_s));
                prims.push(Prim::Bar(w.outcome, (b0, ym - 6), (b1.max(b0 + 3), ym + 6)));
                drawn.insert(Key::Bar(w.outcome));
            }
            let rm = &mut row_marks[r];
            rm.push((x0, MarkKind::Receive.order(), MarkKind::Receive, Some(k)));
            for &(at, _) in &d.extensions {
                rm.push((
                    x_of(at),
                    MarkKind::Heartbeat.order(),
                    MarkKind::Heartbeat,
                    Some(k),
                ));
            }
            for &(at, kind) in &d.marks {
                rm.push((x_of(at), kind.order(), kind, Some(k)));
            }
            if shown {
                rm.push((
                    x1,
                    MarkKind::VisibleAgain.order(),
                    MarkKind::VisibleAgain,
                    Some(k),
                ));
            }
        }
        if let Some(s) = j.dlq_s {
            row_marks[row_of(dlq_cause(j))].push((
                x_of(s),
                MarkKind::DlqMove.order(),
                MarkKind::DlqMove,
                None,
            ));
        }
        // fan out marks at (almost) the same x, in cause order
        let mut placed: Vec<(MarkKind, Option<usize>, (i32, i32))> = Vec::new();
        for (r, mut ms) in row_marks.into_iter().enumerate() {
            // at one x: what ends an earlier delivery, then the receive, then what the
            // delivery received there did at once
            ms.sort_by_key(|m| {
                let started_here = m.3.is_some_and(|k| x_of(j.deliveries[k].receive_s) == m.0);
                (m.0, started_here, m.2 != MarkKind::Receive, m.1)
            });
            let mut prev = i32::MIN / 2;
            // a cluster starts where its first mark belongs and grows right
            for (x, _, kind, k) in ms {
                let px = x.max(prev + MARK_W);
                prev = px;
                placed.push((kind, k, (px, mid(r))));
            }
        }
        // the cause: from "visible again" to the receive (or the DLQ move) that followed
        let mut order: Vec<usize> = (0..j.deliveries.len()).collect();
        order.sort_by(|&a, &b| {
            j.deliveries[a]
                .receive_s
                .total_cmp(&j.deliveries[b].receive_s)
        });
        for (n, &k) in order.iter().enumerate() {
            let Some(&(_, _, from)) = placed
                .iter()
                .find(|p| p.0 == MarkKind::VisibleAgain && p.1 == Some(k))
            else {
                continue;
            };
            let next = order
                .get(n + 1)
                .and_then(|&k2| {
                    placed
                        .iter()
                        .find(|p| p.0 == MarkKind::Receive && p.1 == Some(k2))
                })
                .or_else(|| placed.iter().find(|p| p.0 == MarkKind::DlqMove));
            if let Some(&(_, _, to)) = next
                && to != from
                && to.0 >= from.0
            {
                prims.push(Prim::Line {
                    points: if to.1 == from.1 {
                        vec![from, to]
                    } else {
                        vec![from, (from.0, to.1), to]
                    },
                    color: 0x1565c0,
                    width: 2,
                    dashed: true,
                });
                drawn.insert(Key::Cause);
                // no label across the link
                occupied.push((
                    from.0 - 1,
                    from.1.min(to.1),
                    to.0.max(from.0) + 1,
                    from.1.max(to.1),
                ));
            }
        }
        for &(kind, _, at) in &placed {
            over.push(Prim::Mark(kind, at));
            occupied.push(mark_box(at.0, at.1));
            drawn.insert(Key::Mark(kind));
        }
        // where each invocation's environment label may go
        for (k, d) in j.deliveries.iter().enumerate() {
            let Some(w) = &d.work else { continue };
            let ym = mid(row_of(Some(k)));
            let (b0, b1) = (x_of(w.start_s), x_of(w.end_s).max(x_of(w.start_s) + 3));
            let after = placed
                .iter()
                .filter(|p| p.1 == Some(k) && p.2.0 >= b1 - MARK_W && p.2.0 <= b1 + 3 * MARK_W)
                .map(|p| p.2.0 + MARK_W / 2)
                .max()
                .unwrap_or(b1)
                + 4;
            env_labels.push((w.env, d.receive_count, b0, b1, ym, after));
        }
    }
    // environment labels: inside the bar, else just right of its end's marks; the same form
    // on every bar ("환경 3 / env 3" if it fits everywhere, else "env 3")
    let forms: Vec<fn(Lang, usize, u32) -> String> = match lang {
        Lang::Both => vec![
            |l, e, n| {
                format!(
                    "#{n} · {}",
                    tr(l, &format!("환경 {e}"), &format!("env {e}"))
                )
            },
            |_, e, n| format!("#{n} · env {e}"),
        ],
        _ => vec![|l, e, n| {
            format!(
                "#{n} · {}",
                tr(l, &format!("환경 {e}"), &format!("env {e}"))
            )
        }],
    };
    for (n, form) in forms.iter().enumerate() {
        let mut taken = occupied.clone();
        let mut labels = Vec::new();
        for &(env, count, b0, b1, ym, after) in &env_labels {
            let text = form(lang, env, count);
            let candidates = [
                Label {
                    text: text.clone(),
                    x: (b0 + b1) / 2,
                    y: ym,
                    px: SMALL_PX,
                    color: 0x1b1b1b,
                    bold: false,
                    anchor: Anchor::Center,
                },
                Label {
                    text: text.clone(),
                    x: after,
                    y: ym,
                    px: SMALL_PX,
                    color: 0x37474f,
                    bold: false,
                    anchor: Anchor::Left,
                },
                Label {
                    text,
                    x: b0 - MARK_W / 2 - 3,
                    y: ym,
                    px: SMALL_PX,
                    color: 0x37474f,
                    bold: false,
                    anchor: Anchor::Right,
                },
            ];
            for l in candidates {
                let r = l.rect();
                let inside = l.anchor == Anchor::Center && r.0 >= b0 + 2 && r.2 <= b1 - 2;
                if (inside || l.anchor != Anchor::Center)
                    && r.0 >= left
                    && r.2 <= right
                    && !taken.iter().any(|&o| overlap(o, r))
                {
                    taken.push(r);
                    labels.push(Prim::Text(l));
                    break;
                }
            }
        }
        if labels.len() == env_labels.len() || n + 1 == forms.len() {
            over.extend(labels);
            break;
        }
    }
    prims.extend(over);

    // legend: only what was drawn, wrapped to the width
    let legend: Vec<Key> = drawn.iter().copied().collect();
    let ly = bottom + AXIS_H + 6;
    let (mut x, mut row) = (PAD, 0);
    for &key in &legend {
        let text = key.legend().one_line(lang);
        let w = 30 + text_w(&text, LEGEND_PX, false) + 22;
        if x + w > WIDTH - PAD && x > PAD {
            x = PAD;
            row += 1;
        }
        let cy = ly + row * LEGEND_ROW_H + LEGEND_ROW_H / 2;
        match key {
            Key::Window => prims.push(Prim::Rect {
                from: (x, cy - 9),
                to: (x + 24, cy + 9),
                fill: WINDOW.0,
                border: Some(WINDOW.1),
            }),
            Key::Extended => prims.push(Prim::Rect {
                from: (x, cy - 9),
                to: (x + 24, cy + 9),
                fill: EXTENDED.0,
                border: Some(EXTENDED.1),
            }),
            Key::Bar(o) => prims.push(Prim::Bar(o, (x, cy - 7), (x + 24, cy + 7))),
            Key::Mark(k) => prims.push(Prim::Mark(k, (x + 12, cy))),
            Key::Cause => prims.push(Prim::Line {
                points: vec![(x, cy), (x + 24, cy)],
                color: 0x1565c0,
                width: 2,
                dashed: true,
            }),
            Key::VisibilityChange => prims.push(Prim::Line {
                points: vec![(x + 12, cy - 9), (x + 12, cy + 9)],
                color: 0x00897b,
                width: 2,
                dashed: true,
            }),
        }
        prims.push(Prim::Text(Label {
            text,
            x: x + 30,
            y: cy,
            px: LEGEND_PX,
            color: 0x333333,
            bold: false,
            anchor: Anchor::Left,
        }));
        x += w;
    }
    let height = ly + (row + 1) * LEGEND_ROW_H + 10;
    Ok(Layout {
        width: WIDTH,
        height,
        prims,
        drawn,
        legend,
    })
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn line(a: &Area, p: Vec<(i32, i32)>, hex: u32, w: u32) -> Result<(), String> {
    a.draw(&PathElement::new(p, rgb(hex).stroke_width(w)))
        .map_err(err)
}

fn draw_bar(
    a: &Area,
    o: BarOutcome,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
) -> Result<(), String> {
    let (fill, border) = o.colors();
    a.draw(&Rectangle::new([(x0, y0), (x1, y1)], rgb(fill).filled()))
        .map_err(err)?;
    if o == BarOutcome::Timeout {
        // diagonal hatching, clipped to the rectangle
        let h = y1 - y0;
        for c in ((x0 - h)..x1).step_by(6) {
            let (s0, s1) = ((x0 - c).max(0), (x1 - c).min(h));
            if s1 > s0 {
                line(a, vec![(c + s0, y1 - s0), (c + s1, y1 - s1)], 0xe57373, 1)?;
            }
        }
    }
    a.draw(&Rectangle::new(
        [(x0, y0), (x1, y1)],
        rgb(border).stroke_width(1),
    ))
    .map_err(err)
}

fn draw_mark(a: &Area, kind: MarkKind, (x, y): (i32, i32)) -> Result<(), String> {
    let outline = |p: Vec<(i32, i32)>| {
        let mut q = p.clone();
        q.push(p[0]);
        line(a, q, 0xffffff, 1)
    };
    match kind {
        MarkKind::Receive => {
            let p = vec![(x - 5, y - 6), (x + 6, y), (x - 5, y + 6)];
            a.draw(&Polygon::new(p.clone(), rgb(0x0d47a1).filled()))
                .map_err(err)?;
            outline(p)
        }
        MarkKind::Commit => {
            a.draw(&Circle::new((x, y), 5, rgb(0x1b5e20).filled()))
                .map_err(err)?;
            a.draw(&Circle::new((x, y), 6, rgb(0xffffff).stroke_width(1)))
                .map_err(err)
        }
        MarkKind::Delete => {
            line(
                a,
                vec![(x - 5, y), (x - 1, y + 4), (x + 6, y - 5)],
                0xffffff,
                5,
            )?;
            line(
                a,
                vec![(x - 5, y), (x - 1, y + 4), (x + 6, y - 5)],
                0x111111,
                3,
            )
        }
        MarkKind::StaleDelete => {
            a.draw(&Rectangle::new(
                [(x - 5, y - 5), (x + 5, y + 5)],
                rgb(0xffffff).filled(),
            ))
            .map_err(err)?;
            a.draw(&Rectangle::new(
                [(x - 5, y - 5), (x + 5, y + 5)],
                rgb(0xc62828).stroke_width(1),
            ))
            .map_err(err)?;
            line(a, vec![(x - 3, y - 3), (x + 3, y + 3)], 0xc62828, 2)?;
            line(a, vec![(x - 3, y + 3), (x + 3, y - 3)], 0xc62828, 2)
        }
        MarkKind::Skipped => {
            a.draw(&Circle::new((x, y), 5, rgb(0xffffff).filled()))
                .map_err(err)?;
            a.draw(&Circle::new((x, y), 5, rgb(0x6a1b9a).stroke_width(2)))
                .map_err(err)?;
            line(a, vec![(x - 3, y + 3), (x + 3, y - 3)], 0x6a1b9a, 2)
        }
        MarkKind::Heartbeat => {
            let p = vec![
                (x - 7, y),
                (x - 3, y),
                (x - 1, y - 5),
                (x + 1, y + 5),
                (x + 3, y),
                (x + 7, y),
            ];
            line(a, p.clone(), 0xffffff, 4)?;
            line(a, p, 0xad1457, 2)
        }
        MarkKind::VisibleAgain => {
            a.draw(&Circle::new((x, y), 5, rgb(0xffffff).filled()))
                .map_err(err)?;
            a.draw(&Circle::new((x, y), 5, rgb(0x1565c0).stroke_width(3)))
                .map_err(err)
        }
        MarkKind::DlqMove => {
            let p = vec![(x, y - 7), (x + 7, y), (x, y + 7), (x - 7, y)];
            a.draw(&Polygon::new(p.clone(), rgb(0x4a148c).filled()))
                .map_err(err)?;
            outline(p)
        }
    }
}

/// Render the timeline as a standalone SVG document, 1200 px wide.
pub fn render_svg(timeline: &Timeline) -> Result<String, String> {
    let l = layout(timeline)?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (l.width as u32, l.height as u32))
            .into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        for p in &l.prims {
            match p {
                Prim::Rect {
                    from,
                    to,
                    fill,
                    border,
                } => {
                    root.draw(&Rectangle::new([*from, *to], rgb(*fill).filled()))
                        .map_err(err)?;
                    if let Some(b) = border {
                        root.draw(&Rectangle::new([*from, *to], rgb(*b).stroke_width(1)))
                            .map_err(err)?;
                    }
                }
                Prim::Line {
                    points,
                    color,
                    width,
                    dashed,
                } => {
                    if *dashed {
                        root.draw(&DashedPathElement::new(
                            points.clone(),
                            5,
                            3,
                            rgb(*color).stroke_width(*width),
                        ))
                        .map_err(err)?;
                    } else {
                        line(&root, points.clone(), *color, *width)?;
                    }
                }
                Prim::Mark(k, at) => draw_mark(&root, *k, *at)?,
                Prim::Bar(o, a, b) => draw_bar(&root, *o, *a, *b)?,
                Prim::Text(label) => {
                    // the SVG backend writes font-size as size / 1.24
                    let f = (FONT, label.px * 1.24).into_font();
                    let f = if label.bold {
                        f.style(FontStyle::Bold)
                    } else {
                        f
                    };
                    let style = f.color(&rgb(label.color)).pos(Pos::new(
                        match label.anchor {
                            Anchor::Left => HPos::Left,
                            Anchor::Center => HPos::Center,
                            Anchor::Right => HPos::Right,
                        },
                        VPos::Center,
                    ));
                    root.draw(&Text::new(label.text.clone(), (label.x, label.y), style))
                        .map_err(err)?;
                }
            }
        }
        root.present().map_err(err)?;
    }
    Ok(buf)
}

/// What makes a picture readable, checked: no two text labels overlap, no label covers a mark,
/// no two marks overlap, every label inside the image, and the legend shows only what was drawn.
#[cfg(test)]
pub fn check_readable(l: &Layout) -> Result<(), String> {
    let labels: Vec<&Label> = l.labels().collect();
    for (i, a) in labels.iter().enumerate() {
        let r = a.rect();
        if r.0 < 0 || r.1 < 0 || r.2 > l.width || r.3 > l.height {
            return Err(format!("{:?} ({r:?}) leaves the image", a.text));
        }
        for b in &labels[i + 1..] {
            if overlap(r, b.rect()) {
                return Err(format!("{:?} overlaps {:?}", a.text, b.text));
            }
        }
    }
    let marks = l.mark_boxes();
    for (i, &m) in marks.iter().enumerate() {
        if let Some(a) = labels.iter().find(|a| overlap(a.rect(), m)) {
            return Err(format!("{:?} covers a mark at {m:?}", a.text));
        }
        if let Some(n) = marks[i + 1..].iter().find(|&&n| overlap(m, n)) {
            return Err(format!("marks at {m:?} and {n:?} overlap"));
        }
    }
    if let Some(k) = l.legend.iter().find(|k| !l.drawn.contains(k)) {
        return Err(format!("the legend shows {k:?}, which is not drawn"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(
        receive_s: f64,
        count: u32,
        visible_at_s: f64,
        env: usize,
        work_s: f64,
    ) -> Delivery {
        Delivery {
            receive_s,
            receive_count: count,
            visible_at_s,
            extensions: Vec::new(),
            deleted_s: None,
            work: Some(Work {
                env,
                start_s: receive_s,
                end_s: receive_s + work_s,
                outcome: BarOutcome::Success,
            }),
            marks: vec![
                (receive_s + work_s, MarkKind::Commit),
                (receive_s + work_s, MarkKind::StaleDelete),
            ],
        }
    }

    /// 5 jobs, work 15 s, visibility 10 s, maxReceiveCount 3: every job is received at 0, 10
    /// and 20 s by three environments, committed at 15, 25 and 35 s (deletes that do nothing),
    /// and moved to the DLQ at 30 s.
    fn short_visibility(lang: Lang) -> Timeline {
        let jobs = (1..=5u32)
            .map(|job| JobLane {
                job,
                deliveries: (0..3u32)
                    .map(|a| {
                        let t0 = 10.0 * a as f64;
                        delivery(t0, a + 1, t0 + 10.0, (a * 5 + job) as usize, 15.0)
                    })
                    .collect(),
                dlq_s: Some(30.0),
            })
            .collect();
        Timeline {
            lang,
            title: Bi::new(
                "short-visibility: 작업 5개, 커밋 15번 (중복 10번), DLQ에 5개",
                "short-visibility: 5 jobs, 15 commits (10 duplicates), 5 in the DLQ",
            ),
            subtitle: Bi::new("작업 15초, 가시성 10초", "work 15 s, visibility 10 s"),
            end_s: 38.0,
            jobs,
            visibility_changes: vec![(0.0, "10".into())],
        }
    }

    /// Every outcome and mark kind, a heartbeat, a delete cutting a window, awkward text.
    fn mixed(lang: Lang) -> Timeline {
        let mut hb = delivery(0.0, 1, 10.0, 1, 15.0);
        hb.extensions = vec![(5.0, 15.0), (10.0, 20.0)];
        hb.deleted_s = Some(15.0);
        hb.marks.push((15.0, MarkKind::Delete));
        let mut crash = delivery(0.0, 1, 120.0, 2, 15.0);
        crash.work.as_mut().unwrap().outcome = BarOutcome::Crash;
        let mut skip = delivery(120.0, 2, 240.0, 3, 0.0);
        skip.marks = vec![(120.0, MarkKind::Skipped), (120.0, MarkKind::Delete)];
        skip.deleted_s = Some(120.0);
        let mut timeout = delivery(0.0, 1, 36.0, 4, 6.0);
        timeout.work.as_mut().unwrap().outcome = BarOutcome::Timeout;
        timeout.marks.clear();
        let mut error = delivery(36.0, 2, 72.0, 5, 3.0);
        error.work.as_mut().unwrap().outcome = BarOutcome::Error;
        error.marks.clear();
        Timeline {
            lang,
            title: Bi::new("하트비트 <&>", "heartbeat <&> \"quotes\" 'apos'"),
            subtitle: Bi::new("작업 15초", "work 15 s"),
            end_s: 130.0,
            jobs: vec![
                JobLane {
                    job: 1,
                    deliveries: vec![hb],
                    dlq_s: None,
                },
                JobLane {
                    job: 2,
                    deliveries: vec![crash, skip],
                    dlq_s: None,
                },
                JobLane {
                    job: 3,
                    deliveries: vec![timeout, error],
                    dlq_s: Some(108.0),
                },
            ],
            visibility_changes: vec![(0.0, "10 <&>".into())],
        }
    }

    fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).expect("output is well-formed XML");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(|s| s.trim().to_string()))
            .collect()
    }

    #[test]
    fn short_visibility_renders_valid_deterministic_svg() {
        let tl = short_visibility(Lang::Both);
        let svg = render_svg(&tl).unwrap();
        let texts = texts(&svg);
        for want in [
            tl.title.ko.as_str(),
            tl.title.en.as_str(),
            "작업 1 / job 1",
            "작업 5 / job 5",
            "DLQ로 옮겨짐 / moved to the DLQ",
            "다시 보임 / visible again",
            "시간 (초) / time (s)",
        ] {
            assert!(
                texts.iter().any(|t| t == want),
                "missing {want:?} in {texts:?}"
            );
        }
        // every invocation names its environment
        for env in 1..=15 {
            assert!(
                texts.iter().any(|t| t.ends_with(&format!("env {env}"))),
                "env {env} missing"
            );
        }
        assert_eq!(svg, render_svg(&short_visibility(Lang::Both)).unwrap());
        assert!(svg.contains(r#"width="1200""#));
        check_readable(&layout(&tl).unwrap()).unwrap();
    }

    #[test]
    fn one_language_when_asked() {
        for (lang, has, lacks) in [(Lang::Ko, "작업 1", "job 1"), (Lang::En, "job 1", "작업")] {
            let texts = texts(&render_svg(&short_visibility(lang)).unwrap());
            assert!(texts.iter().any(|t| t == has), "{lang:?}: {texts:?}");
            assert!(
                !texts.iter().any(|t| t.contains(lacks)),
                "{lang:?} shows {lacks:?}: {texts:?}"
            );
        }
    }

    #[test]
    fn text_is_escaped_and_every_kind_renders() {
        let tl = mixed(Lang::En);
        let svg = render_svg(&tl).unwrap();
        assert!(svg.contains("&lt;&amp;&gt;"));
        let texts = texts(&svg);
        for want in [
            tl.title.en.as_str(),
            "visibility timeout → 10 <&> s",
            "invocation timed out",
            "invocation crashed (no delete)",
            "invocation failed",
            "hidden longer by the heartbeat (else visible again already)",
        ] {
            assert!(texts.iter().any(|t| t == want), "missing text {want:?}");
        }
        let l = layout(&tl).unwrap();
        let kinds = [
            MarkKind::Receive,
            MarkKind::Heartbeat,
            MarkKind::Commit,
            MarkKind::Skipped,
            MarkKind::Delete,
            MarkKind::StaleDelete,
            MarkKind::VisibleAgain,
            MarkKind::DlqMove,
        ];
        for k in kinds {
            assert!(l.drawn.contains(&Key::Mark(k)), "{k:?} not drawn");
        }
        for lang in [Lang::Ko, Lang::En, Lang::Both] {
            check_readable(&layout(&mixed(lang)).unwrap()).unwrap();
        }
    }

    #[test]
    fn the_legend_shows_only_what_is_drawn() {
        let l = layout(&short_visibility(Lang::En)).unwrap();
        assert!(l.legend.iter().all(|k| l.drawn.contains(k)));
        assert!(l.legend.contains(&Key::Mark(MarkKind::DlqMove)));
        for absent in [
            Key::Mark(MarkKind::Heartbeat),
            Key::Mark(MarkKind::Delete),
            Key::Bar(BarOutcome::Timeout),
            Key::Extended,
        ] {
            assert!(!l.legend.contains(&absent), "{absent:?} in the legend");
        }
        let texts = texts(&render_svg(&short_visibility(Lang::En)).unwrap());
        assert!(!texts.iter().any(|t| t.starts_with("heartbeat")));
    }

    #[test]
    fn titles_wrap_at_the_width_and_lose_nothing() {
        let title = "fifo-short-visibility: 5 jobs, 5 commits (0 duplicates), 10 deliveries \
                     kept from a second commit by the idempotency table, 0 in the DLQ: as \
                     AWS's rules say";
        for width in [300, 600, 1168] {
            let lines = wrap(title, TITLE_PX, true, width);
            assert!(lines.len() > 1, "{width}: {lines:?}");
            for line in &lines {
                assert!(
                    text_w(line, TITLE_PX, true) <= width,
                    "{line:?} wider than {width}"
                );
            }
            assert_eq!(lines.join(" "), title);
        }
        let ko = "fifo-short-visibility: 작업 5개, 커밋 5번 (중복 0번), 멱등성 테이블이 두 번째 커밋을 막은 전달 10번, DLQ에 0개: AWS 규칙대로";
        let lines = wrap(ko, TITLE_PX, true, 600);
        assert!(lines.len() > 1 && lines.iter().all(|l| text_w(l, TITLE_PX, true) <= 600));
        assert_eq!(lines.join(" "), ko);
        // a word wider than the line is cut, not dropped
        let lines = wrap(&"x".repeat(200), 12.0, false, 100);
        assert!(lines.len() > 1 && lines.iter().all(|l| text_w(l, 12.0, false) <= 100));
        assert_eq!(lines.concat(), "x".repeat(200));
        // in the picture: every line of the title is there, none wider than the image
        let mut tl = short_visibility(Lang::Both);
        tl.title = Bi::new(ko, title);
        let svg = render_svg(&tl).unwrap();
        let l = layout(&tl).unwrap();
        check_readable(&l).unwrap();
        let texts = texts(&svg);
        for line in wrap(title, TITLE_PX, true, WIDTH - 2 * PAD) {
            assert!(texts.contains(&line), "{line:?}");
        }
    }

    #[test]
    fn height_grows_with_jobs() {
        let height = |n: u32| {
            let mut tl = short_visibility(Lang::En);
            let lane = tl.jobs[0].clone();
            tl.jobs = (1..=n)
                .map(|job| JobLane {
                    job,
                    ..lane.clone()
                })
                .collect();
            layout(&tl).unwrap().height
        };
        // two rows per job: the second receive comes while the first one works
        assert_eq!(height(20) - height(2), 18 * (2 * ROW_H + 2 * LANE_PAD));
    }

    #[test]
    fn degenerate_inputs_are_errors_not_panics() {
        type Edit = fn(&mut Timeline);
        let cases: Vec<(&str, Edit)> = vec![
            ("no jobs", |t| t.jobs.clear()),
            ("end_s", |t| t.end_s = 0.0),
            ("end_s", |t| t.end_s = f64::NAN),
            ("end_s", |t| t.end_s = -5.0),
            ("non-finite", |t| {
                t.jobs[0].deliveries[0].receive_s = f64::NAN
            }),
            ("non-finite", |t| t.jobs[1].dlq_s = Some(f64::INFINITY)),
            ("non-finite", |t| {
                t.jobs[0].deliveries[0].marks[0].0 = f64::NEG_INFINITY
            }),
            ("before it starts", |t| {
                t.jobs[0].deliveries[0].work.as_mut().unwrap().end_s = -1.0
            }),
        ];
        for (needle, f) in cases {
            let mut tl = short_visibility(Lang::En);
            f(&mut tl);
            let e = render_svg(&tl).expect_err(needle);
            assert!(e.contains(needle), "{e:?} should mention {needle:?}");
        }
    }

    #[test]
    fn out_of_range_times_are_clamped() {
        let mut tl = short_visibility(Lang::Both);
        tl.jobs[2].deliveries.push(delivery(-50.0, 4, 1e9, 99, 1e9));
        tl.jobs[3].dlq_s = Some(1e9);
        check_readable(&layout(&tl).unwrap()).unwrap();
        for end_s in [1e-6, 1e7] {
            tl.end_s = end_s;
            let l = layout(&tl).unwrap();
            check_readable(&l).unwrap();
            texts(&render_svg(&tl).unwrap());
        }
    }

    #[test]
    fn tick_labels_stay_apart() {
        for end_s in [0.5, 1.0, 7.0, 17.0, 38.0, 162.0, 1000.0, 86_400.0] {
            let step = tick_step(end_s, 1000, 56.0);
            assert!(step * 1000.0 / end_s >= 56.0, "{end_s}: {step}");
            assert!(step * 1000.0 / end_s < 3.0 * 56.0, "{end_s}: {step}");
        }
        assert_eq!(fmt_s(2.5), "2.5");
        assert_eq!(fmt_s(10.0), "10");
    }
}
