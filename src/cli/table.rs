//! Plain-text tables for list commands: columns padded to their widest cell (display width, so
//! CJK names line up), two spaces apart, no trailing spaces. Cells are cleaned of control and
//! bidi characters before they are measured.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use super::out::{self, Out};

/// Print to standard output.
pub fn print_table<R: AsRef<[String]>>(header: &[String], rows: &[R]) -> io::Result<()> {
    write_table(&mut out::stdout(), header, rows)
}

pub fn write_table<R: AsRef<[String]>>(
    out: &mut Out<impl Write>,
    header: &[String],
    rows: &[R],
) -> io::Result<()> {
    let clean = |cells: &[String]| -> Vec<String> { cells.iter().map(|c| out::clean(c)).collect() };
    let header = clean(header);
    let rows: Vec<Vec<String>> = rows.iter().map(|r| clean(r.as_ref())).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let mut line = |cells: &[String]| -> io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            text.extend(std::iter::repeat_n(' ', w.saturating_sub(cell.width())));
        }
        out.line(text.trim_end())
    };
    line(&header)?;
    for row in &rows {
        line(row)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn columns_line_up_by_display_width() {
        let mut out = Out::new(Vec::new());
        write_table(
            &mut out,
            &s(&["NAME", "LOGIN"]),
            &[s(&["王芳", "wf"]), s(&["Bob Smith", "bob"])],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out.into_inner()).unwrap(),
            "NAME       LOGIN\n王芳       wf\nBob Smith  bob\n"
        );
    }

    #[test]
    fn cells_are_cleaned_before_they_are_measured() {
        let mut out = Out::new(Vec::new());
        write_table(&mut out, &s(&["A", "B"]), &[s(&["x\u{1b}\u{202e}", "y"])]).unwrap();
        assert_eq!(
            String::from_utf8(out.into_inner()).unwrap(),
            "A    B\nx\u{fffd}\u{fffd}  y\n"
        );
    }
}
