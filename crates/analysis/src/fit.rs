//! Least-squares fits of a yearly series against k = year − first year + 1.
//!
//! Method: the polynomial models are solved by Householder QR on a design
//! matrix whose regressor is centred and scaled (t = (k − mean k) / max
//! |k − mean k|), which keeps the columns near-orthogonal and the problem
//! well conditioned; the coefficients are then expanded back to powers of
//! k. The one-parameter model y = a·k² has the closed form a = Σk²y / Σk⁴.
//! R² = 1 − SS_res / SS_tot with SS_tot about the mean, for every model
//! including the one without an intercept (so it can be negative there);
//! adjusted R² = 1 − (SS_res / (n − p)) / (SS_tot / (n − 1)) with p the
//! number of fitted parameters.

use serde::Serialize;

use crate::series::Series;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    Linear,
    Quadratic,
    Cubic,
    QuadraticOrigin,
}

impl Model {
    pub const ALL: [Model; 4] = [Model::Linear, Model::Quadratic, Model::Cubic, Model::QuadraticOrigin];

    pub fn name(self) -> &'static str {
        match self {
            Model::Linear => "linear",
            Model::Quadratic => "quadratic",
            Model::Cubic => "cubic",
            Model::QuadraticOrigin => "quadratic_origin",
        }
    }

    pub fn formula(self) -> &'static str {
        match self {
            Model::Linear => "y = c0 + c1·k",
            Model::Quadratic => "y = c0 + c1·k + c2·k²",
            Model::Cubic => "y = c0 + c1·k + c2·k² + c3·k³",
            Model::QuadraticOrigin => "y = a·k²",
        }
    }

    /// Number of fitted parameters.
    pub fn parameters(self) -> usize {
        match self {
            Model::Linear => 2,
            Model::Quadratic => 3,
            Model::Cubic => 4,
            Model::QuadraticOrigin => 1,
        }
    }

    /// The fewest points for which R² and adjusted R² mean something: at
    /// least one residual degree of freedom, and never fewer than three.
    pub fn minimum_points(self) -> usize {
        (self.parameters() + 1).max(3)
    }
}

/// One model fitted to one series. When the fit is not meaningful the
/// numbers are absent and `not_meaningful` says why.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    pub model: Model,
    pub formula: &'static str,
    pub r2: Option<f64>,
    pub adj_r2: Option<f64>,
    /// Ascending powers of k (`[c0, c1, ...]`), or `[a]` for `quadratic_origin`.
    pub coefficients: Vec<f64>,
    pub fitted: Vec<f64>,
    /// Observed minus fitted, one per point.
    pub residuals: Vec<f64>,
    pub not_meaningful: Option<String>,
}

/// Small counts: below this mean the year-to-year noise of a count is of
/// the order of the count, and R² says more about chance than about the
/// figures.
pub const SMALL_COUNT_MEAN: f64 = 10.0;

/// Why no model can be judged on this series at all, if so.
pub fn series_not_meaningful(values: &[f64]) -> Option<String> {
    let n = values.len();
    if n < 3 {
        return Some(format!("only {n} point(s): at least 3 are needed before any fit can be judged"));
    }
    if values.iter().all(|&v| v == 0.0) {
        return Some("every value is zero: R² is undefined".to_owned());
    }
    if values.iter().all(|&v| v == values[0]) {
        return Some(format!("every value equals {}: the series is constant and R² is undefined", values[0]));
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if mean < SMALL_COUNT_MEAN {
        return Some(format!(
            "small counts (mean {mean:.1} < {SMALL_COUNT_MEAN}): chance variation dominates and R² is not comparable"
        ));
    }
    None
}

/// Fits every model to the series.
pub fn fit_all(series: &Series) -> Vec<Fit> {
    let k = series.positions();
    let y = series.values();
    Model::ALL.iter().map(|&m| fit_model(m, &k, &y)).collect()
}

pub fn fit_model(model: Model, k: &[f64], y: &[f64]) -> Fit {
    let empty = |reason: String| Fit {
        model,
        formula: model.formula(),
        r2: None,
        adj_r2: None,
        coefficients: Vec::new(),
        fitted: Vec::new(),
        residuals: Vec::new(),
        not_meaningful: Some(reason),
    };
    if let Some(reason) = series_not_meaningful(y) {
        return empty(reason);
    }
    let n = y.len();
    if n < model.minimum_points() {
        return empty(format!(
            "{n} points: the {} model has {} parameters and needs at least {} points to leave a residual",
            model.name(),
            model.parameters(),
            model.minimum_points()
        ));
    }
    let (coefficients, fitted) = match model {
        Model::Linear => polynomial(k, y, 1),
        Model::Quadratic => polynomial(k, y, 2),
        Model::Cubic => polynomial(k, y, 3),
        Model::QuadraticOrigin => {
            let numerator: f64 = k.iter().zip(y).map(|(k, y)| k * k * y).sum();
            let denominator: f64 = k.iter().map(|k| k.powi(4)).sum();
            let a = numerator / denominator;
            (vec![a], k.iter().map(|k| a * k * k).collect())
        }
    };
    let residuals: Vec<f64> = y.iter().zip(&fitted).map(|(y, f)| y - f).collect();
    let mean = y.iter().sum::<f64>() / n as f64;
    let ss_tot: f64 = y.iter().map(|y| (y - mean).powi(2)).sum();
    let ss_res: f64 = residuals.iter().map(|r| r * r).sum();
    let r2 = 1.0 - ss_res / ss_tot;
    let adj_r2 = 1.0 - (ss_res / (n - model.parameters()) as f64) / (ss_tot / (n - 1) as f64);
    Fit {
        model,
        formula: model.formula(),
        r2: Some(r2),
        adj_r2: Some(adj_r2),
        coefficients,
        fitted,
        residuals,
        not_meaningful: None,
    }
}

/// Least-squares polynomial of `degree` in k: coefficients in ascending
/// powers of k, and the fitted values.
pub fn polynomial(k: &[f64], y: &[f64], degree: usize) -> (Vec<f64>, Vec<f64>) {
    let n = k.len();
    let centre = k.iter().sum::<f64>() / n as f64;
    let scale = k.iter().map(|k| (k - centre).abs()).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let t: Vec<f64> = k.iter().map(|k| (k - centre) / scale).collect();
    let columns = degree + 1;
    let design: Vec<Vec<f64>> = t.iter().map(|t| (0..columns).map(|j| t.powi(j as i32)).collect()).collect();
    let b = solve_least_squares(design, y.to_vec());
    let fitted = t.iter().map(|t| b.iter().enumerate().map(|(j, b)| b * t.powi(j as i32)).sum()).collect();
    // Expand Σ b_j ((k − c)/s)^j into powers of k.
    let mut coefficients = vec![0.0; columns];
    for (j, b_j) in b.iter().enumerate() {
        let factor = b_j / scale.powi(j as i32);
        for (i, coefficient) in coefficients.iter_mut().enumerate().take(j + 1) {
            *coefficient += factor * binomial(j, i) * (-centre).powi((j - i) as i32);
        }
    }
    (coefficients, fitted)
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// Householder QR: minimises |A x − y| for a tall matrix with full column
/// rank (rows are points, at least as many as columns).
// Indexes read as the textbook algorithm does; iterators would obscure it.
#[allow(clippy::needless_range_loop)]
fn solve_least_squares(mut a: Vec<Vec<f64>>, mut y: Vec<f64>) -> Vec<f64> {
    let rows = a.len();
    let columns = a[0].len();
    for j in 0..columns {
        let norm = (j..rows).map(|i| a[i][j] * a[i][j]).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        let alpha = if a[j][j] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = (j..rows).map(|i| a[i][j]).collect();
        v[0] -= alpha;
        let v_norm2: f64 = v.iter().map(|x| x * x).sum();
        if v_norm2 == 0.0 {
            continue;
        }
        for c in j..columns {
            let dot: f64 = (j..rows).map(|i| v[i - j] * a[i][c]).sum();
            let factor = 2.0 * dot / v_norm2;
            for i in j..rows {
                a[i][c] -= factor * v[i - j];
            }
        }
        let dot: f64 = (j..rows).map(|i| v[i - j] * y[i]).sum();
        let factor = 2.0 * dot / v_norm2;
        for i in j..rows {
            y[i] -= factor * v[i - j];
        }
    }
    let mut x = vec![0.0; columns];
    for j in (0..columns).rev() {
        let tail: f64 = ((j + 1)..columns).map(|c| a[j][c] * x[c]).sum();
        x[j] = (y[j] - tail) / a[j][j];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1e-12)
    }

    /// Hand-computed: k = 1..4, y = 10, 30, 20, 50. Linear: k̄ = 2.5,
    /// ȳ = 27.5, Sky = 55, Skk = 5, so c1 = 11, c0 = 27.5 − 27.5 = 0;
    /// fitted 11, 22, 33, 44; SS_res = 1 + 64 + 169 + 36 = 270, SS_tot =
    /// 875, R² = 1 − 270/875; adjusted = 1 − (270/2)/(875/3).
    #[test]
    fn linear_matches_hand_computation() {
        let fit = fit_model(Model::Linear, &[1.0, 2.0, 3.0, 4.0], &[10.0, 30.0, 20.0, 50.0]);
        assert!(fit.coefficients[0].abs() < 1e-12, "{:?}", fit.coefficients);
        assert!(close(fit.coefficients[1], 11.0));
        assert!(close(fit.r2.unwrap(), 1.0 - 270.0 / 875.0));
        assert!(close(fit.adj_r2.unwrap(), 1.0 - (270.0 / 2.0) / (875.0 / 3.0)));
        for (r, expected) in fit.residuals.iter().zip([-1.0, 8.0, -13.0, 6.0]) {
            assert!((r - expected).abs() < 1e-12, "{r} vs {expected}");
        }
    }

    /// Hand-computed: y = 20k² exactly fits both quadratics with R² = 1;
    /// a = Σk²·20k²/Σk⁴ = 20.
    #[test]
    fn exact_quadratic_is_recovered() {
        let k = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y: Vec<f64> = k.iter().map(|k| 20.0 * k * k).collect();
        let quadratic = fit_model(Model::Quadratic, &k, &y);
        assert!(close(quadratic.coefficients[2], 20.0));
        assert!(quadratic.coefficients[0].abs() < 1e-9 && quadratic.coefficients[1].abs() < 1e-9);
        assert!(close(quadratic.r2.unwrap(), 1.0));
        let origin = fit_model(Model::QuadraticOrigin, &k, &y);
        assert!(close(origin.coefficients[0], 20.0));
        assert!(close(origin.r2.unwrap(), 1.0));
    }

    /// Hand-computed through-the-origin case: k = 1, 2, 3, y = 11, 15, 18:
    /// a = (11 + 60 + 162) / (1 + 16 + 81).
    #[test]
    fn quadratic_origin_closed_form() {
        let fit = fit_model(Model::QuadraticOrigin, &[1.0, 2.0, 3.0], &[11.0, 15.0, 18.0]);
        assert!(close(fit.coefficients[0], (11.0 + 60.0 + 162.0) / 98.0));
        // SS_tot about the mean, so without an intercept R² can go negative.
        assert!(fit.r2.unwrap() < 0.0);
    }

    #[test]
    fn cubic_needs_five_points() {
        let fit = fit_model(Model::Cubic, &[1.0, 2.0, 3.0, 4.0], &[10.0, 30.0, 20.0, 50.0]);
        assert!(fit.r2.is_none() && fit.adj_r2.is_none());
        assert!(fit.not_meaningful.unwrap().contains("at least 5 points"));
    }
}
