//! Which columns the Records tab shows, in which order and how wide: the columns
//! an analyst reads first lead (the time, the source address, its country, the
//! bytes, then the destination and what happened), chosen by the role the schema
//! gave each column so a flow log or a WAF log leads with the same facts as the
//! CloudWatch export; the rest follow in file order. Columns the user hid (`-`)
//! are left out until shown again (`U`); a session copied from the Anomalies
//! list names its fields in the same order. Pure functions over the dataset's
//! schema and the visible cells; it draws nothing and keeps no state.

use crate::dataset::{Dataset, Role};
use crate::sanitize::{display_width, inert};
use crate::tui::widgets::abbreviate;

/// The roles that lead Records after the time column, most important first.
const LEAD: [Role; 15] = [
    Role::SrcIp,
    Role::Country,
    Role::BytesIn,
    Role::BytesOut,
    Role::DstIp,
    Role::DstPort,
    Role::Protocol,
    Role::Action,
    Role::ResponseCode,
    Role::Packets,
    Role::SrcPort,
    Role::TcpFlags,
    Role::RuleNames,
    Role::DetectionTypes,
    Role::Label,
];

/// A header longer than this (and than its cells) is abbreviated.
const HEADER_CAP: usize = 10;

/// The dataset's columns in display order, without the hidden ones: the time
/// column (start, else time, else end), then [`LEAD`] by role, then the rest in
/// file order.
pub fn order(ds: &Dataset, hidden: &[usize]) -> Vec<usize> {
    let time = [Role::Start, Role::Time, Role::End]
        .into_iter()
        .find_map(|r| ds.role_index(r));
    let mut out: Vec<usize> = time.into_iter().collect();
    for i in LEAD
        .iter()
        .filter_map(|&r| ds.role_index(r))
        .chain(0..ds.columns.len())
    {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out.retain(|i| !hidden.contains(i));
    out
}

/// A session as text for the clipboard (`y` on the Anomalies list): its row, every field
/// in display order and, when scored, the score against the threshold.
pub fn session_text(ds: &Dataset, row: usize, score: Option<(f64, f64)>) -> String {
    let mut out = format!("row {row}\n");
    for c in order(ds, &[]) {
        let name = ds.columns.get(c).map_or("", |col| col.name.as_str());
        out.push_str(&format!("{name}: {}\n", ds.cell_text(row, c)));
    }
    if let Some((s, t)) = score {
        let side = if s > t { "above" } else { "not above" };
        out.push_str(&format!("score {s:.4}, {side} the threshold {t:.4}\n"));
    }
    out
}

/// One column as Records draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// Index into the dataset's columns.
    pub col: usize,
    /// Position in the display order (what the column cursor counts).
    pub pos: usize,
    pub width: usize,
    /// The header, abbreviated when it is much wider than the cells (no arrow).
    pub head: String,
}

/// Width and header of each column in `order` for the rows on screen.
pub fn measure(ds: &Dataset, order: &[usize], rows: &[usize], sorted: Option<usize>) -> Vec<Shown> {
    let names: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
    order
        .iter()
        .enumerate()
        .map(|(pos, &c)| {
            let cells = rows
                .iter()
                .map(|&r| display_width(&inert(&ds.cell_text(r, c))))
                .max()
                .unwrap_or(0);
            let name = names.get(c).copied().unwrap_or("");
            let room = cells.max(HEADER_CAP);
            let head = if display_width(&inert(name)) <= room {
                inert(name).into_owned()
            } else {
                abbreviate(&names, room).swap_remove(c)
            };
            let arrow = usize::from(sorted == Some(c));
            let width = (display_width(&head) + arrow).max(cells).clamp(3, 32);
            Shown {
                col: c,
                pos,
                width,
                head,
            }
        })
        .collect()
}

/// The columns that fit in `avail` cells, the cursor's (`cursor` is a position in
/// the order) always among them: the first shown is moved right until it fits.
pub fn fit(all: &[Shown], cursor: usize, avail: usize) -> Vec<Shown> {
    let cursor = cursor.min(all.len().saturating_sub(1));
    let span = |a: usize, b: usize| {
        all.get(a..=b)
            .map_or(0, |w| w.iter().map(|s| s.width + 1).sum::<usize>())
    };
    let mut first = 0;
    while first < cursor && span(first, cursor) > avail {
        first += 1;
    }
    let mut shown = Vec::new();
    let mut used = 0;
    for s in all.iter().skip(first) {
        if used + s.width + 1 > avail && !shown.is_empty() {
            break;
        }
        used += s.width + 1;
        shown.push(s.clone());
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(csv: &str) -> Dataset {
        crate::ingest::load_bytes("<test>", csv.as_bytes()).unwrap()
    }

    #[test]
    fn the_time_the_source_and_the_bytes_lead_by_role_not_by_name() {
        // A flow log's names, in its file order.
        let d = ds("version,account-id,srcaddr,dstaddr,bytes,start,end\n\
             2,123,10.0.0.1,10.0.0.2,40,1700000000,1700000060\n");
        let names = |o: Vec<usize>| -> Vec<String> {
            o.iter().map(|&i| d.columns[i].name.clone()).collect()
        };
        assert_eq!(
            names(order(&d, &[])),
            [
                "start",
                "srcaddr",
                "bytes",
                "dstaddr",
                "version",
                "account-id",
                "end"
            ]
        );
        // Hidden columns are left out, the rest keep their order.
        assert_eq!(
            names(order(&d, &[2, 0])),
            ["start", "bytes", "dstaddr", "account-id", "end"]
        );
    }

    #[test]
    fn a_long_header_over_narrow_cells_is_abbreviated_and_the_cursor_fits() {
        let d = ds("src_ip_country_code,src_ip,notes\nUS,10.0.0.1,x\n");
        let o = order(&d, &[]);
        let m = measure(&d, &o, &[0], None);
        let country = m.iter().find(|s| s.col == 0).map(|s| s.head.clone());
        assert_eq!(country.as_deref(), Some("s_i_c_code"));
        assert!(m.iter().all(|s| s.width >= 3 && s.width <= 32));
        // Room for one column: the cursor's is the one shown.
        let shown = fit(&m, 2, 11);
        assert_eq!(shown.iter().map(|s| s.pos).collect::<Vec<_>>(), [2]);
        assert_eq!(fit(&m, 0, 200).len(), 3);
    }
}
