//! PNG beside every SVG, for viewers that do not show SVG: the SVG itself rasterised by
//! resvg, so the two images cannot differ. Text is set in DejaVu Sans, embedded from the
//! `dejavu` crate (Bitstream Vera licence, free to embed and redistribute): the PNG shows the
//! same text on a machine without any system font.

use anyhow::{Context as _, Result, anyhow};
use resvg::{tiny_skia, usvg};
use std::sync::OnceLock;

/// The family every `sans-serif` text of the figures is set in.
const FAMILY: &str = "DejaVu Sans";

fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut opt = usvg::Options { font_family: FAMILY.into(), ..usvg::Options::default() };
        let db = opt.fontdb_mut();
        db.load_font_data(dejavu::sans::regular().to_vec());
        db.load_font_data(dejavu::sans::bold().to_vec());
        db.set_sans_serif_family(FAMILY);
        opt
    })
}

/// Rasterises an SVG document to PNG bytes at its own pixel size, on white.
pub fn png(svg: &str) -> Result<Vec<u8>> {
    let tree = usvg::Tree::from_str(svg, options()).context("the figure's SVG does not parse")?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| anyhow!("empty figure size {}x{}", size.width(), size.height()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().context("PNG encoding failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_drawn_without_system_fonts() {
        let with = |text: &str| {
            png(&format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="5" y="30" font-family="sans-serif" font-size="24">{text}</text></svg>"#
            ))
            .unwrap()
        };
        // a PNG with glyphs differs from (and compresses worse than) the blank one
        let (blank, text) = (with(""), with("m4 ±1"));
        assert_ne!(blank, text);
        assert!(text.len() > blank.len());
    }
}
