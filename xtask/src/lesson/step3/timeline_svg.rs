//! Render a step-3 experiment timeline (SQS visibility timeouts) as SVG with the `plotters` SVG
//! backend: one horizontal lane per queue / Lambda execution environment, invocation bars coloured
//! by outcome, marks for receive / commit / delete / ... events, title, subtitle and a legend.
//!
//! The plot is laid out in pixel space on the root drawing area; a `plotters` chart provides the
//! time axis, ticks and vertical gridlines. Text is emitted as SVG `<text>` (no fonts are loaded,
//! so neither fontconfig nor freetype is needed) and `plotters` escapes `<`, `>`, `&`, quotes.
//! Output is deterministic: same input, byte-identical SVG.
//!
//! Input rules: at least one lane and one invocation, `end_s` finite and > 0, lane indices in
//! range, all times finite and bars with `end_s >= start_s` (else `Err`). Times outside
//! `0..=end_s` are clamped to the plot edge. Marks at (almost) the same lane and time are fanned
//! out in a small grid; marks on lane 0 (the queue) also show their job labels.
//! `VisibilityChange` marks are drawn as a dashed vertical line across all lanes with a label.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

#[derive(Debug, Clone)]
pub struct Timeline {
    /// e.g. "short-visibility — 5 jobs, 15 commits (10 duplicates), 5 in the DLQ"
    pub title: String,
    /// e.g. "work 15 s, visibility 10 s, maxReceiveCount 3, virtual time"
    pub subtitle: String,
    /// x axis end, seconds (>= every time below)
    pub end_s: f64,
    /// lane 0 is always the queue itself ("SQS queue"); then "env 1", "env 2", ...
    pub lanes: Vec<String>,
    pub invocations: Vec<Bar>,
    pub marks: Vec<Mark>,
}
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub lane: usize,
    pub start_s: f64,
    pub end_s: f64,
    pub outcome: BarOutcome,
    pub label: String,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarOutcome {
    Success,
    Error,
    Timeout,
}
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub lane: usize,
    pub t_s: f64,
    pub kind: MarkKind,
    pub label: String,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Receive,
    Commit,
    Delete,
    StaleDelete,
    Heartbeat,
    Timeout,
    DlqMove,
    VisibilityChange,
}

const WIDTH: u32 = 1200;
const LANE_H: i32 = 36;
const TOP_H: i32 = 84; // title, subtitle, one strip for visibility-change labels
const AXIS_H: i32 = 44; // tick labels + "time (s)"
const PAD: i32 = 16;
const LEGEND_ROW_H: i32 = 26;
const FONT: &str = "sans-serif";
const OUTCOMES: [BarOutcome; 3] = [BarOutcome::Success, BarOutcome::Error, BarOutcome::Timeout];
const KINDS: [MarkKind; 8] = [
    MarkKind::Receive,
    MarkKind::Commit,
    MarkKind::Delete,
    MarkKind::StaleDelete,
    MarkKind::Heartbeat,
    MarkKind::Timeout,
    MarkKind::DlqMove,
    MarkKind::VisibilityChange,
];

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Res = Result<(), String>;

fn rgb(hex: u32) -> RGBColor {
    RGBColor((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}
fn err<E: std::fmt::Display>(e: E) -> String {
    format!("SVG drawing failed: {e}")
}
/// Text style whose SVG `font-size` is `px` (the SVG backend divides the size by 1.24).
fn font(px: f64, hex: u32, bold: bool, h: HPos, v: VPos) -> TextStyle<'static> {
    let f = (FONT, px * 1.24).into_font();
    let f = if bold { f.style(FontStyle::Bold) } else { f };
    f.color(&rgb(hex)).pos(Pos::new(h, v))
}
/// Rough width of `s` in a sans-serif font of `px` pixels (no font metrics available).
fn text_w(s: &str, px: f64) -> i32 {
    (s.chars().count() as f64 * px * 0.56).ceil() as i32
}
fn text(a: &Area, s: &str, at: (i32, i32), st: &TextStyle<'static>) -> Res {
    a.draw(&Text::new(s.to_string(), at, st.clone()))
        .map_err(err)
}
fn line(a: &Area, p: Vec<(i32, i32)>, hex: u32, w: u32) -> Res {
    a.draw(&PathElement::new(p, rgb(hex).stroke_width(w)))
        .map_err(err)
}

impl BarOutcome {
    fn legend(self) -> &'static str {
        match self {
            Self::Success => "invocation ok",
            Self::Error => "invocation error",
            Self::Timeout => "invocation timed out",
        }
    }
    /// (fill, border)
    fn colors(self) -> (u32, u32) {
        match self {
            Self::Success => (0xa5d6a7, 0x2e7d32),
            Self::Error => (0xffcc80, 0xe65100),
            Self::Timeout => (0xffcdd2, 0xc62828),
        }
    }
}
impl MarkKind {
    fn legend(self) -> &'static str {
        match self {
            Self::Receive => "receive",
            Self::Commit => "commit (transfer)",
            Self::Delete => "delete",
            Self::StaleDelete => "stale delete (old receipt)",
            Self::Heartbeat => "heartbeat",
            Self::Timeout => "timeout",
            Self::DlqMove => "moved to DLQ",
            Self::VisibilityChange => "visibility change",
        }
    }
}

fn draw_bar_shape(a: &Area, o: BarOutcome, (x0, y0): (i32, i32), (x1, y1): (i32, i32)) -> Res {
    let (fill, border) = o.colors();
    a.draw(&Rectangle::new([(x0, y0), (x1, y1)], rgb(fill).filled()))
        .map_err(err)?;
    if o == BarOutcome::Timeout {
        // diagonal hatching, clipped to the rectangle
        let h = y1 - y0;
        for c in ((x0 - h)..x1).step_by(7) {
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

fn draw_mark(a: &Area, kind: MarkKind, (x, y): (i32, i32)) -> Res {
    let outline = |p: Vec<(i32, i32)>| {
        let mut q = p.clone();
        q.push(p[0]);
        line(a, q, 0xffffff, 1)
    };
    match kind {
        MarkKind::Receive => {
            let p = vec![(x - 5, y - 6), (x + 6, y), (x - 5, y + 6)];
            a.draw(&Polygon::new(p.clone(), rgb(0x1565c0).filled()))
                .map_err(err)?;
            outline(p)
        }
        MarkKind::Commit => {
            a.draw(&Circle::new((x, y), 5, rgb(0x1b5e20).filled()))
                .map_err(err)?;
            a.draw(&Circle::new((x, y), 6, rgb(0xffffff).stroke_width(1)))
                .map_err(err)
        }
        MarkKind::Delete => line(
            a,
            vec![(x - 5, y), (x - 1, y + 4), (x + 6, y - 5)],
            0x111111,
            3,
        ),
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
            line(a, p, 0x616161, 2)
        }
        MarkKind::Timeout => {
            line(a, vec![(x - 6, y - 6), (x + 6, y + 6)], 0xd50000, 3)?;
            line(a, vec![(x - 6, y + 6), (x + 6, y - 6)], 0xd50000, 3)
        }
        MarkKind::DlqMove => {
            let p = vec![(x, y - 7), (x + 7, y), (x, y + 7), (x - 7, y)];
            a.draw(&Polygon::new(p.clone(), rgb(0x7b1fa2).filled()))
                .map_err(err)?;
            outline(p)
        }
        MarkKind::VisibilityChange => dashed(a, x, y - 9, y + 9),
    }
}
fn dashed(a: &Area, x: i32, y0: i32, y1: i32) -> Res {
    a.draw(&DashedPathElement::new(
        vec![(x, y0), (x, y1)],
        5,
        3,
        rgb(0x00897b).stroke_width(2),
    ))
    .map_err(err)
}

#[derive(Clone, Copy)]
enum Swatch {
    Bar(BarOutcome),
    Mark(MarkKind),
}
/// Legend entries with their (x, row); wrapped to the image width.
fn legend_layout() -> (Vec<(Swatch, &'static str, i32, i32)>, i32) {
    let items = OUTCOMES
        .iter()
        .map(|&o| (Swatch::Bar(o), o.legend()))
        .chain(KINDS.iter().map(|&k| (Swatch::Mark(k), k.legend())));
    let (mut x, mut row, mut out) = (PAD, 0, Vec::new());
    for (s, label) in items {
        let w = 30 + text_w(label, 13.0) + 26;
        if x + w > WIDTH as i32 - PAD && x > PAD {
            x = PAD;
            row += 1;
        }
        out.push((s, label, x, row));
        x += w;
    }
    (out, row + 1)
}

/// "1,2,3,4,5,9" -> "1–5,9" (numeric labels, runs of 3+ collapsed); other labels sorted; capped.
fn job_list(mut labels: Vec<&str>) -> String {
    labels.retain(|s| !s.is_empty());
    let s = match labels
        .iter()
        .map(|s| s.parse::<u64>().ok())
        .collect::<Option<Vec<u64>>>()
    {
        Some(mut v) => {
            v.sort_unstable();
            v.dedup();
            let (mut parts, mut i) = (Vec::new(), 0);
            while i < v.len() {
                let j = i + v[i..].windows(2).take_while(|w| w[1] == w[0] + 1).count();
                if j >= i + 2 {
                    parts.push(format!("{}–{}", v[i], v[j]))
                } else {
                    parts.extend(v[i..=j].iter().map(u64::to_string))
                }
                i = j + 1;
            }
            parts.join(",")
        }
        None => {
            labels.sort_unstable();
            labels.dedup();
            labels.join(",")
        }
    };
    if s.chars().count() > 48 {
        s.chars().take(47).chain(['…']).collect()
    } else {
        s
    }
}

fn validate(t: &Timeline) -> Res {
    let n = t.lanes.len();
    if n == 0 {
        return Err("timeline has no lanes (lane 0 must be the SQS queue)".into());
    }
    if !(t.end_s.is_finite() && t.end_s > 0.0) {
        return Err(format!(
            "end_s must be a finite number > 0, got {}",
            t.end_s
        ));
    }
    if t.invocations.is_empty() {
        return Err("timeline has no invocations (bars) to draw".into());
    }
    for (i, b) in t.invocations.iter().enumerate() {
        if b.lane >= n {
            return Err(format!(
                "invocation #{i} ({}) uses lane {} but there are only {n} lanes",
                b.label, b.lane
            ));
        }
        if !b.start_s.is_finite() || !b.end_s.is_finite() {
            return Err(format!(
                "invocation #{i} ({}) has a non-finite time",
                b.label
            ));
        }
        if b.end_s < b.start_s {
            return Err(format!(
                "invocation #{i} ({}) ends ({} s) before it starts ({} s)",
                b.label, b.end_s, b.start_s
            ));
        }
    }
    for (i, m) in t.marks.iter().enumerate() {
        if m.lane >= n {
            return Err(format!(
                "mark #{i} ({:?} {}) uses lane {} but there are only {n} lanes",
                m.kind, m.label, m.lane
            ));
        }
        if !m.t_s.is_finite() {
            return Err(format!(
                "mark #{i} ({:?} {}) has a non-finite time",
                m.kind, m.label
            ));
        }
    }
    Ok(())
}

/// Render the timeline as a standalone SVG document (1200 px wide, 36 px per lane).
pub fn render_svg(timeline: &Timeline) -> Result<String, String> {
    validate(timeline)?;
    let t = timeline;
    let n = t.lanes.len() as i32;
    let (legend, legend_rows) = legend_layout();
    let legend_h = legend_rows * LEGEND_ROW_H + 14;
    let height = TOP_H + n * LANE_H + AXIS_H + legend_h;
    let longest = t.lanes.iter().map(|l| text_w(l, 14.0)).max().unwrap_or(0);
    let name_w = (longest + 20).clamp(80, 260);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        text(
            &root,
            &t.title,
            (PAD, 12),
            &font(20.0, 0x212121, true, HPos::Left, VPos::Top),
        )?;
        text(
            &root,
            &t.subtitle,
            (PAD, 40),
            &font(14.0, 0x555555, false, HPos::Left, VPos::Top),
        )?;

        let mut chart = ChartBuilder::on(&root)
            .margin_top(TOP_H)
            .margin_bottom(legend_h)
            .margin_left(PAD)
            .margin_right(PAD + 8)
            .x_label_area_size(AXIS_H)
            .y_label_area_size(name_w)
            .build_cartesian_2d(0.0..t.end_s, 0.0..n as f64)
            .map_err(err)?;
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let (left, right, top) = (xr.start, xr.end, yr.start);
        let lane_top = |l: usize| top + l as i32 * LANE_H;
        let lane_mid = |l: usize| lane_top(l) + LANE_H / 2;

        // lane stripes and names (lane 0 = the queue, tinted)
        for (i, name) in t.lanes.iter().enumerate() {
            let bg = if i == 0 {
                0xf3e5f5
            } else if i % 2 == 1 {
                0xffffff
            } else {
                0xf5f6f8
            };
            root.draw(&Rectangle::new(
                [(left, lane_top(i)), (right, lane_top(i) + LANE_H)],
                rgb(bg).filled(),
            ))
            .map_err(err)?;
            line(
                &root,
                vec![(left, lane_top(i) + LANE_H), (right, lane_top(i) + LANE_H)],
                0xdddddd,
                1,
            )?;
            let max_chars = ((name_w - 16) as f64 / (14.0 * 0.56)) as usize;
            let shown = if name.chars().count() > max_chars {
                format!(
                    "{}…",
                    name.chars()
                        .take(max_chars.saturating_sub(1))
                        .collect::<String>()
                )
            } else {
                name.clone()
            };
            text(
                &root,
                &shown,
                (left - 8, lane_mid(i)),
                &font(14.0, 0x212121, i == 0, HPos::Right, VPos::Center),
            )?;
        }
        let fmt = |v: &f64| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_labels(16)
            .max_light_lines(4)
            .x_label_formatter(&fmt)
            .x_desc("time (s)")
            .label_style(font(12.0, 0x333333, false, HPos::Center, VPos::Top))
            .axis_desc_style(font(13.0, 0x333333, false, HPos::Center, VPos::Top))
            .bold_line_style(rgb(0xc8c8c8).stroke_width(1))
            .light_line_style(rgb(0xececec).stroke_width(1))
            .axis_style(rgb(0x888888).stroke_width(1))
            .draw()
            .map_err(err)?;
        let x_of = |s: f64| {
            chart
                .backend_coord(&(s.clamp(0.0, t.end_s), 0.0))
                .0
                .clamp(left, right)
        };

        // bars, label centred when it fits
        for b in &t.invocations {
            let (x0, y0) = (x_of(b.start_s), lane_top(b.lane) + 7);
            let (x1, y1) = (x_of(b.end_s).max(x0 + 2), lane_top(b.lane) + LANE_H - 7);
            draw_bar_shape(&root, b.outcome, (x0, y0), (x1, y1))?;
            if text_w(&b.label, 12.0) + 28 <= x1 - x0 {
                text(
                    &root,
                    &b.label,
                    ((x0 + x1) / 2, lane_mid(b.lane)),
                    &font(12.0, 0x1b1b1b, false, HPos::Center, VPos::Center),
                )?;
            }
        }

        // visibility changes: dashed line across all lanes, labels in the strip above the plot
        let mut vis: Vec<(i32, &str)> = t
            .marks
            .iter()
            .filter(|m| m.kind == MarkKind::VisibilityChange)
            .map(|m| (x_of(m.t_s), m.label.as_str()))
            .collect();
        vis.sort();
        let mut row_end = [i32::MIN; 2];
        for (x, label) in vis {
            dashed(&root, x, top, top + n * LANE_H)?;
            if let Some(r) = (0..2).find(|&r| row_end[r] < x) {
                row_end[r] = x + 4 + text_w(label, 11.0) + 6;
                text(
                    &root,
                    label,
                    (x + 3, top - 3 - r as i32 * 13),
                    &font(11.0, 0x00695c, false, HPos::Left, VPos::Bottom),
                )?;
            }
        }

        // other marks: group by lane and (almost) same pixel x, fan out in a small grid
        let mut ms: Vec<(usize, i32, usize, &str)> = t
            .marks
            .iter()
            .filter(|m| m.kind != MarkKind::VisibilityChange)
            .map(|m| {
                (
                    m.lane,
                    x_of(m.t_s),
                    KINDS.iter().position(|&k| k == m.kind).unwrap_or(0),
                    m.label.as_str(),
                )
            })
            .collect();
        ms.sort();
        let mut i = 0;
        while i < ms.len() {
            let (lane, x, _, _) = ms[i];
            let j = i + ms[i..]
                .iter()
                .take_while(|m| m.0 == lane && m.1 - x <= 3)
                .count();
            let group = &ms[i..j];
            let m = group.len() as i32;
            let rows = match m {
                1..=3 => m,
                4..=8 => 2,
                _ => 3,
            };
            let cols = (m + rows - 1) / rows;
            for (k, &(_, gx, kind, _)) in group.iter().enumerate() {
                let (c, r) = (k as i32 / rows, k as i32 % rows);
                let (dx, dy) = ((2 * c - (cols - 1)) * 7, (2 * r - (rows - 1)) * 5);
                draw_mark(&root, KINDS[kind], (gx + dx, lane_mid(lane) + dy))?;
            }
            if lane == 0 {
                let s = job_list(group.iter().map(|g| g.3).collect());
                let lx = x + (cols - 1) * 7 + 10;
                let st = if lx + text_w(&s, 11.0) > right {
                    font(11.0, 0x4a148c, false, HPos::Right, VPos::Center)
                } else {
                    font(11.0, 0x4a148c, false, HPos::Left, VPos::Center)
                };
                let lx = if lx + text_w(&s, 11.0) > right {
                    x - (cols - 1) * 7 - 10
                } else {
                    lx
                };
                text(&root, &s, (lx, lane_mid(0)), &st)?;
            }
            i = j;
        }

        // legend
        let ly = height - legend_h + 8;
        for (s, label, x, row) in legend {
            let cy = ly + row * LEGEND_ROW_H + LEGEND_ROW_H / 2;
            match s {
                Swatch::Bar(o) => draw_bar_shape(&root, o, (x, cy - 8), (x + 24, cy + 8))?,
                Swatch::Mark(k) => draw_mark(&root, k, (x + 12, cy))?,
            }
            text(
                &root,
                label,
                (x + 30, cy),
                &font(13.0, 0x333333, false, HPos::Left, VPos::Center),
            )?;
        }
        root.present().map_err(err)?;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 5 jobs, work 15 s, visibility 10 s, maxReceiveCount 3: every job is received at 0, 10 and
    /// 20 s by three different environments, committed at 15, 25 and 35 s (stale deletes), and
    /// moved to the DLQ at 30 s.
    fn short_visibility() -> Timeline {
        let mut lanes = vec!["SQS queue".to_string()];
        lanes.extend((1..=15).map(|i| format!("env {i}")));
        let (mut invocations, mut marks) = (Vec::new(), Vec::new());
        for job in 1..=5usize {
            for attempt in 0..3usize {
                let (lane, t0) = (1 + attempt * 5 + (job - 1), attempt as f64 * 10.0);
                invocations.push(Bar {
                    lane,
                    start_s: t0,
                    end_s: t0 + 15.0,
                    outcome: BarOutcome::Success,
                    label: format!("job {job}"),
                });
                let mk = |t_s, kind| Mark {
                    lane,
                    t_s,
                    kind,
                    label: job.to_string(),
                };
                marks.extend([
                    mk(t0, MarkKind::Receive),
                    mk(t0 + 15.0, MarkKind::Commit),
                    mk(t0 + 15.0, MarkKind::StaleDelete),
                ]);
            }
            marks.push(Mark {
                lane: 0,
                t_s: 30.0,
                kind: MarkKind::DlqMove,
                label: job.to_string(),
            });
        }
        Timeline {
            title: "short-visibility — 5 jobs, 15 commits (10 duplicates), 5 in the DLQ".into(),
            subtitle: "work 15 s, visibility 10 s, maxReceiveCount 3, virtual time".into(),
            end_s: 40.0,
            lanes,
            invocations,
            marks,
        }
    }

    /// Every outcome and mark kind, plus awkward text.
    fn mixed() -> Timeline {
        let bar = |lane, start_s, end_s, outcome, label: &str| Bar {
            lane,
            start_s,
            end_s,
            outcome,
            label: label.into(),
        };
        let mk = |lane, t_s, kind, label: &str| Mark {
            lane,
            t_s,
            kind,
            label: label.into(),
        };
        Timeline {
            title: "heartbeat <&> \"quotes\" 'apos'".into(),
            subtitle: "work 15 s, visibility 10 s + heartbeat every 5 s".into(),
            end_s: 30.0,
            lanes: vec!["SQS queue".into(), "env 1".into(), "env 2 <&>".into()],
            invocations: vec![
                bar(1, 0.0, 15.0, BarOutcome::Success, "job <&>"),
                bar(2, 2.0, 9.0, BarOutcome::Error, "job 2"),
                bar(2, 12.0, 27.0, BarOutcome::Timeout, "job 3"),
            ],
            marks: vec![
                mk(1, 0.0, MarkKind::Receive, "1"),
                mk(1, 5.0, MarkKind::Heartbeat, "1"),
                mk(0, 5.0, MarkKind::VisibilityChange, "visibility +10 s"),
                mk(1, 10.0, MarkKind::Heartbeat, "1"),
                mk(0, 10.0, MarkKind::VisibilityChange, "visibility +10 s"),
                mk(1, 15.0, MarkKind::Commit, "1"),
                mk(1, 15.0, MarkKind::Delete, "1"),
                mk(2, 27.0, MarkKind::Timeout, "3"),
                mk(0, 99.0, MarkKind::DlqMove, "2"),
                mk(0, -1.0, MarkKind::Receive, "<&>"),
            ],
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
        let tl = short_visibility();
        let svg = render_svg(&tl).unwrap();
        let texts = texts(&svg);
        assert!(texts.contains(&tl.title), "title missing");
        assert!(texts.contains(&tl.subtitle));
        assert!(texts.iter().any(|t| t == "env 15") && texts.iter().any(|t| t == "SQS queue"));
        assert!(texts.iter().any(|t| t == "moved to DLQ"), "legend missing");
        assert!(texts.iter().any(|t| t == "1–5"), "DLQ job labels missing");
        assert_eq!(
            svg,
            render_svg(&short_visibility()).unwrap(),
            "not deterministic"
        );
        assert!(svg.contains(r#"width="1200""#));
    }

    #[test]
    fn text_is_escaped_and_all_kinds_render() {
        let tl = mixed();
        let svg = render_svg(&tl).unwrap();
        assert!(svg.contains("&lt;&amp;&gt;"));
        let texts = texts(&svg);
        for want in [
            tl.title.as_str(),
            "env 2 <&>",
            "job <&>",
            "visibility +10 s",
            "invocation timed out",
        ] {
            assert!(texts.iter().any(|t| t == want), "missing text {want:?}");
        }
    }

    #[test]
    fn height_grows_with_lanes() {
        let heights: Vec<f64> = [3usize, 40]
            .iter()
            .map(|&n| {
                let mut tl = mixed();
                tl.lanes = (0..n)
                    .map(|i| {
                        if i == 0 {
                            "SQS queue".into()
                        } else {
                            format!("env {i}")
                        }
                    })
                    .collect();
                let svg = render_svg(&tl).unwrap();
                let doc = roxmltree::Document::parse(&svg).unwrap();
                doc.root_element()
                    .attribute("height")
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(heights[1] - heights[0], 37.0 * LANE_H as f64);
    }

    #[test]
    fn degenerate_inputs_are_errors_not_panics() {
        type Edit = fn(&mut Timeline);
        let cases: Vec<(&str, Edit)> = vec![
            ("no lanes", |t| t.lanes.clear()),
            ("no invocations", |t| t.invocations.clear()),
            ("end_s", |t| t.end_s = 0.0),
            ("end_s", |t| t.end_s = f64::NAN),
            ("end_s", |t| t.end_s = -5.0),
            ("lane 99", |t| t.invocations[0].lane = 99),
            ("lane 16", |t| t.marks[0].lane = 16),
            ("non-finite", |t| t.marks[0].t_s = f64::INFINITY),
            ("non-finite", |t| t.invocations[0].start_s = f64::NAN),
            ("before it starts", |t| t.invocations[0].end_s = -1.0),
        ];
        for (needle, f) in cases {
            let mut tl = short_visibility();
            f(&mut tl);
            let e = render_svg(&tl).expect_err(needle);
            assert!(e.contains(needle), "{e:?} should mention {needle:?}");
        }
    }

    #[test]
    fn out_of_range_times_are_clamped() {
        let mut tl = short_visibility();
        tl.marks.push(Mark {
            lane: 3,
            t_s: 1e9,
            kind: MarkKind::Timeout,
            label: "x".into(),
        });
        tl.invocations.push(Bar {
            lane: 4,
            start_s: -50.0,
            end_s: 1e9,
            outcome: BarOutcome::Timeout,
            label: "long".into(),
        });
        tl.lanes[1] = "a very very long execution environment name that must be truncated".into();
        texts(&render_svg(&tl).unwrap());
        for end_s in [1e-6, 1e7] {
            tl.end_s = end_s;
            texts(&render_svg(&tl).unwrap());
        }
    }

    #[test]
    fn job_lists_are_compact() {
        assert_eq!(
            job_list(vec!["3", "1", "2", "2", "7", "9", "10", ""]),
            "1–3,7,9,10"
        );
        assert_eq!(job_list(vec!["b", "a<&>", "b"]), "a<&>,b");
        assert_eq!(
            job_list(
                (0..200)
                    .map(|i| if i % 2 == 0 { "x" } else { "yy" })
                    .collect()
            ),
            "x,yy"
        );
        let long: Vec<String> = (0..100).map(|i| (i * 2).to_string()).collect();
        assert_eq!(
            job_list(long.iter().map(String::as_str).collect())
                .chars()
                .count(),
            48
        );
    }
}
