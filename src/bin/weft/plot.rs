//! The picture of a training run: training loss and dev score per evaluation, as an SVG.

use std::path::Path;

use plotters::prelude::*;
use weft::training::Evaluation;

/// Draws `evaluations` into the SVG file at `path`: the training loss (left axis) and the dev
/// score (right axis) against the step, the best evaluation marked.
pub fn draw(path: &Path, evaluations: &[Evaluation], score: &str) -> weft::Result<()> {
    draw_chart(path, evaluations, score).map_err(|error| weft::Error::Io {
        path: path.to_owned(),
        source: std::io::Error::other(error.to_string()),
    })
}

fn draw_chart(
    path: &Path,
    evaluations: &[Evaluation],
    score: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let last_step = evaluations.last().map_or(1, |e| e.step) as f64;
    let top_loss = (evaluations.iter().map(|e| e.train_loss))
        .filter(|loss| loss.is_finite())
        .fold(0.0, f64::max)
        .max(1e-3)
        * 1.05;
    let mut chart = ChartBuilder::on(&root)
        .caption("training loss and dev score", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0.0..last_step, 0.0..top_loss)?
        .set_secondary_coord(0.0..last_step, 0.0..1.0);
    chart
        .configure_mesh()
        .x_desc("step")
        .x_label_formatter(&|step| format!("{step:.0}"))
        .y_desc("training loss per example")
        .draw()?;
    chart.configure_secondary_axes().y_desc(score).draw()?;
    let loss = evaluations.iter().map(|e| (e.step as f64, e.train_loss));
    chart
        .draw_series(LineSeries::new(loss, BLUE.stroke_width(2)))?
        .label("training loss")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
    let dev = evaluations.iter().map(|e| (e.step as f64, e.score));
    chart
        .draw_secondary_series(LineSeries::new(dev, RED.stroke_width(2)))?
        .label(format!("dev {score}"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
    let best = (evaluations.iter().rev().find(|e| e.best)).map(|e| (e.step as f64, e.score));
    chart.draw_secondary_series(best.map(|point| Circle::new(point, 5, RED.filled())))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
