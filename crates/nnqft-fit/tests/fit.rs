//! Fits on synthetic data with known couplings, closed form against argmin, and bad input.

use nnqft_fit::*;

fn synthetic() -> (Design, Vec<f64>) {
    let n = 30;
    let t0: Vec<f64> = (0..n).map(|i| 1.0 + 0.1 * i as f64).collect();
    let t2: Vec<f64> = (0..n).map(|i| 0.5 + (0.3 * i as f64).sin()).collect();
    let tnl: Vec<f64> = (0..n).map(|i| 2.0 + (0.17 * i as f64).cos()).collect();
    let w: Vec<f64> = (0..n).map(|i| 1.0 + (i % 4) as f64).collect();
    let y: Vec<f64> = (0..n).map(|i| 0.04 * t0[i] - 0.002 * t2[i] + 0.006 * tnl[i]).collect();
    (Design::new(t0, t2, tnl, w).unwrap(), y)
}

#[test]
fn exact_data_recovers_the_couplings() {
    let (d, y) = synthetic();
    for loss in Loss::ALL {
        let c = fit(&d, &y, Model::M3, loss).unwrap();
        for (got, want) in c.values.iter().zip([0.04, -0.002, 0.006]) {
            assert!((got - want).abs() < 1e-7 * 0.04, "{loss:?}: {got} vs {want}");
        }
        let l = evaluate(&d, &y, &c.values, Model::M3).unwrap();
        assert!(l.mape < 1e-5 && l.mse < 1e-16, "{l:?}");
    }
    let m0 = evaluate(&d, &y, &[0.0; 3], Model::M0).unwrap();
    assert!((m0.mape - 100.0).abs() < 1e-12);
}

#[test]
fn closed_form_least_squares_agrees_with_argmin() {
    let (d, mut y) = synthetic();
    y.iter_mut().enumerate().for_each(|(i, v)| *v *= 1.0 + 0.03 * ((i * 7 % 5) as f64 - 2.0));
    for model in [Model::M1, Model::M2, Model::M3] {
        let a = fit(&d, &y, model, Loss::Mse).unwrap();
        let b = least_squares_argmin(&d, &y, model).unwrap();
        let (la, lb) = (evaluate(&d, &y, &a.values, model).unwrap(), evaluate(&d, &y, &b.values, model).unwrap());
        assert!((la.mse - lb.mse).abs() <= 1e-9 * la.mse, "{model:?}: {la:?} vs {lb:?}");
        assert!(la.mse <= lb.mse * (1.0 + 1e-12));
        assert!((a.values[0] - b.values[0]).abs() < 1e-6 * a.values[0].abs(), "{model:?}");
    }
}

#[test]
fn mape_fit_does_not_lose_to_least_squares_on_mape() {
    let (d, mut y) = synthetic();
    y.iter_mut().enumerate().for_each(|(i, v)| *v *= 1.0 + 0.05 * ((i * 3 % 7) as f64 - 3.0));
    for model in [Model::M1, Model::M2] {
        let ls = fit(&d, &y, model, Loss::Mse).unwrap();
        let ma = fit(&d, &y, model, Loss::Mape).unwrap();
        let (l1, l2) = (evaluate(&d, &y, &ls.values, model).unwrap(), evaluate(&d, &y, &ma.values, model).unwrap());
        assert!(l2.mape <= l1.mape + 1e-12, "{model:?}: {l2:?} vs {l1:?}");
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    assert!(matches!(Model::parse("M4"), Err(FitError::Unknown { field: "model", .. })));
    assert!(matches!(Loss::parse("l1"), Err(FitError::Unknown { field: "loss", .. })));
    assert!(matches!(Design::new(vec![], vec![], vec![], vec![]), Err(FitError::Empty(_))));
    assert!(matches!(
        Design::new(vec![1.0], vec![1.0, 2.0], vec![1.0], vec![1.0]),
        Err(FitError::Shape { what: "T2", .. })
    ));
    assert!(matches!(
        Design::new(vec![f64::NAN], vec![1.0], vec![1.0], vec![1.0]),
        Err(FitError::Invalid { what: "T0", .. })
    ));
    let (d, y) = synthetic();
    assert!(matches!(fit(&d, &y[..3], Model::M1, Loss::Mse), Err(FitError::Shape { what: "target", .. })));
    let mut bad = y.clone();
    bad[2] = f64::INFINITY;
    assert!(matches!(fit(&d, &bad, Model::M1, Loss::Mse), Err(FitError::Invalid { what: "target", row: 2, .. })));
}
