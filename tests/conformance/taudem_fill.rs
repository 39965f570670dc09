//! Conformance: depression filling equals TauDEM `pitremove` on its own test DEM, on every cell.
//!
//! `../shared/data/dem/taudem/MED_01_01.tif` (656 × 456, int16) and TauDEM's reference output
//! `MED_01_01_filled_reference.tif` (from the TauDEM test suite, see README_SOURCE.md there):
//! TauDEM fills exactly flat (the raised cells hold integer spill elevations), and so do we.

use zwilling_core::testdata::shared_path;
use zwilling_io::raster::read_geotiff_f32;
use zwilling_rain::fill::fill_depressions;

#[test]
fn fill_equals_taudem_pitremove() {
    let dem = read_geotiff_f32(&shared_path("data/dem/taudem/MED_01_01.tif")).unwrap();
    let reference = read_geotiff_f32(&shared_path("data/dem/taudem/MED_01_01_filled_reference.tif")).unwrap();
    assert_eq!((dem.width, dem.height), (656, 456));
    let filled = fill_depressions(&dem).unwrap();
    let mut raised = 0;
    for (i, (&a, &b)) in filled.data.iter().zip(&reference.data).enumerate() {
        assert_eq!(a, b, "cell {} (col {}, row {}): ours {a}, TauDEM {b}", i, i % 656, i / 656);
        if a > dem.data[i] {
            raised += 1;
        }
    }
    // TauDEM raised 1,527 cells (README_SOURCE.md).
    assert_eq!(raised, 1527);
}
