//! zwilling-laz (the LAS 1.4 decoder `LasReader` uses) against the `laz` crate on a real file
//! compressed by LASzip itself (IGN LiDAR HD tile in `data-samples/`, point format 8 with RGB,
//! NIR and GPS time): every column of every point is the same, with all fields and with the
//! fields a tiler skips.

use std::path::Path;

use zwilling_core::testdata::repo_dir;
use zwilling_core::PointBlock;
use zwilling_io::las::{LasReader, SkipAttributes, SkipFields};

fn read(path: &Path, reference: bool, skip: bool) -> (PointBlock, bool) {
    let mut r = LasReader::open(path).unwrap();
    if reference {
        r.use_reference_decoder();
    }
    if skip {
        r.skip_fields(SkipFields::all_but_geometry_and_appearance());
        r.skip_attributes(SkipAttributes { flags: true, intensity: false, classification: false });
    }
    let own = r.uses_own_decoder();
    let all = r.read_block(usize::MAX).unwrap().unwrap();
    assert!(r.read_block(1000).unwrap().is_none());
    (all, own)
}

#[test]
fn ign_tile_decodes_the_same_as_the_laz_crate() {
    let path = repo_dir().join("data-samples/ign-lidarhd/test_data_77050_627760_LA93_IGN69.laz");
    for skip in [false, true] {
        let (ours, own) = read(&path, false, skip);
        let (reference, own_ref) = read(&path, true, skip);
        assert!(own && !own_ref, "the test must compare the two decoders");
        assert_eq!(ours, reference, "skip {skip}");
        // Point count and classes as laspy 2.7 (with lazrs) reports them for this file.
        assert_eq!(ours.len(), 56_035);
        let mut classes = std::collections::BTreeMap::new();
        for c in &ours.classification {
            *classes.entry(*c).or_insert(0u64) += 1;
        }
        let laspy = [(1, 4783), (2, 33568), (3, 379), (4, 933), (5, 12154), (6, 4148), (64, 70)];
        assert_eq!(classes.into_iter().collect::<Vec<_>>(), laspy);
    }
}
