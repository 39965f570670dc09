//! Conformance: zwilling's own LAS 1.4 LAZ decoder (`crates/zwilling-laz`) returns exactly what
//! the `laz` crate returns, for every LAS 1.4 LAZ file under `../shared/data/` (written by LASzip,
//! PDAL and untwine: point formats 6 and 8, RGB, NIR, GPS time, extra bytes, COPC chunks).

use zwilling_core::testdata::shared_path;
use zwilling_io::las::LasReader;

const FILES: &[&str] = &[
    "data/ign-lidarhd/test_data_77050_627755_LA93_IGN69.laz",
    "data/ign-lidarhd/test_data_77050_627760_LA93_IGN69.laz",
    "data/ign-lidarhd/test_data_77055_627755_LA93_IGN69.laz",
    "data/ign-lidarhd/test_data_77055_627760_LA93_IGN69.laz",
    "data/ign-lidarhd/test_data_77060_627755_LA93_IGN69.laz",
    "data/ign-lidarhd/test_data_77060_627760_LA93_IGN69.laz",
    "data/ign-lidarhd/test_semis_2023_0299_6802_LA93_IGN69.laz",
    "data/ign-lidarhd/test_semis_2023_0300_6802_LA93_IGN69.laz",
    "data/pdal/las_with_several_extra_byte_bloc.laz",
    "data/pdal/lone-star.copc.laz",
];

#[test]
fn own_laz_decoder_matches_the_laz_crate_on_every_las14_file() {
    for rel in FILES {
        let path = shared_path(rel);
        let read = |reference: bool| {
            let mut r = LasReader::open(&path).unwrap_or_else(|e| panic!("{e}"));
            if reference {
                r.use_reference_decoder();
            }
            let own = r.uses_own_decoder();
            (r.read_block(usize::MAX).unwrap().expect("points"), own)
        };
        let (ours, own) = read(false);
        let (reference, _) = read(true);
        assert!(own, "{rel}: not decoded by zwilling-laz");
        assert_eq!(ours.len(), reference.len(), "{rel}");
        assert!(ours == reference, "{rel}: the decoders disagree");
    }
}
