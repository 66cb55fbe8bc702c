//! Places a view's boxes for drawing in the binary (SVG, HTML): one band per
//! column (sources, layers, consumers) left to right; inside a band, a job
//! stands left of the data it writes (longest path within the band); rows
//! follow the mean height of each box's inputs. Integer coordinates, so the
//! same view always gives the same drawing.

use std::collections::VecDeque;

use super::View;

/// Width of a box.
pub const BOX_WIDTH: u32 = 240;
/// Height of one text line in a box.
pub const LINE_HEIGHT: u32 = 14;
/// Space between boxes, and around the drawing.
pub const GAP: u32 = 60;
/// Height of the column titles above the boxes.
pub const HEADER: u32 = 40;

/// A box's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

/// The places of all boxes and columns.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Width of the whole drawing.
    pub width: u32,
    /// Height of the whole drawing.
    pub height: u32,
    /// One per view node, same order.
    pub boxes: Vec<Rect>,
    /// Each column's left edge and width, same order as the view's columns.
    pub columns: Vec<(u32, u32)>,
}

/// Lays out `view`, where box `i` holds `lines(i)` lines of text.
pub fn layout(view: &View, lines: impl Fn(usize) -> usize) -> Layout {
    let n = view.nodes.len();
    let rank = ranks_within_columns(view);
    let heights: Vec<u32> = (0..n)
        .map(|i| 10 + LINE_HEIGHT * lines(i).max(1) as u32)
        .collect();
    let mut columns = Vec::with_capacity(view.columns.len());
    let mut x = GAP;
    let mut boxes = vec![
        Rect {
            x: 0,
            y: 0,
            w: BOX_WIDTH,
            h: 0
        };
        n
    ];
    let mut placed = vec![false; n];
    let mut center = vec![0f64; n];
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in &view.edges {
        if e.from != e.to {
            preds[e.to].push(e.from);
        }
    }
    let mut height = 0;
    for c in 0..view.columns.len() {
        let members: Vec<usize> = (0..n).filter(|&i| view.nodes[i].column == c).collect();
        let slots = members.iter().map(|&i| rank[i]).max().map_or(1, |r| r + 1);
        for slot in 0..slots {
            let mut here: Vec<(f64, usize)> = members
                .iter()
                .filter(|&&i| rank[i] == slot)
                .map(|&i| {
                    let ys: Vec<f64> = preds[i]
                        .iter()
                        .filter(|&&p| placed[p])
                        .map(|&p| center[p])
                        .collect();
                    let key = if ys.is_empty() {
                        f64::MAX
                    } else {
                        ys.iter().sum::<f64>() / ys.len() as f64
                    };
                    (key, i)
                })
                .collect();
            here.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut y = HEADER + GAP / 2;
            for (_, i) in here {
                boxes[i] = Rect {
                    x: x + slot as u32 * (BOX_WIDTH + GAP),
                    y,
                    w: BOX_WIDTH,
                    h: heights[i],
                };
                center[i] = f64::from(y) + f64::from(heights[i]) / 2.0;
                placed[i] = true;
                y += heights[i] + GAP / 3;
            }
            height = height.max(y);
        }
        let width = slots as u32 * (BOX_WIDTH + GAP) - GAP;
        columns.push((x, width));
        x += width + GAP;
    }
    Layout {
        width: x,
        height: height + GAP / 2,
        boxes,
        columns,
    }
}

/// Each node's rank inside its column: the longest path to it over edges
/// between nodes of that column (Kahn's algorithm, iterative; nodes on a
/// cycle keep the rank reached when the queue empties).
fn ranks_within_columns(view: &View) -> Vec<usize> {
    let n = view.nodes.len();
    let mut indegree = vec![0usize; n];
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in &view.edges {
        if e.from != e.to && view.nodes[e.from].column == view.nodes[e.to].column {
            next[e.from].push(e.to);
            indegree[e.to] += 1;
        }
    }
    let mut rank = vec![0usize; n];
    let mut queue: VecDeque<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    while let Some(i) = queue.pop_front() {
        for &t in &next[i] {
            rank[t] = rank[t].max(rank[i] + 1);
            indegree[t] -= 1;
            if indegree[t] == 0 {
                queue.push_back(t);
            }
        }
    }
    rank
}
