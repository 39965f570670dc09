//! Conformance: for every LAS/LAZ file under `../shared/data/`, point count, bounds of the points
//! and class histogram must equal what laspy reports.
//!
//! The table below is laspy's output, made once with
//! `~/.cache/zwilling-validators/venv/bin/python benches/compare/las_laspy_expected.py`
//! (the first line of its output records the laspy version). Bounds are min/max of the scaled
//! coordinates over all points, computed by laspy/numpy as `X * scale + offset`.

use std::collections::BTreeMap;

use zwilling_core::testdata::{shared_dir, shared_path};
use zwilling_core::Bounds3;
use zwilling_io::las::LasReader;

type Expected = (&'static str, u64, [f64; 6], &'static [(u8, u64)]);

#[rustfmt::skip]
const LASPY: &[Expected] = &[
    // laspy 2.7.0, numpy 2.4.6; 32 files
    ("data/amsterdam-mls/ahn_2386_9702.laz", 43536, [119299.0, 485099.00200000004, -0.773, 119350.999, 485151.0, 21.067], &[(1, 4876), (2, 26668), (6, 11992)]),
    ("data/amsterdam-mls/ahn_2397_9705.laz", 45345, [119849.0, 485249.001, -0.308, 119901.0, 485301.0, 20.238], &[(1, 8931), (2, 20725), (6, 15689)]),
    ("data/amsterdam-mls/mls_run1_2386_9702.laz", 454236, [119300.03, 485100.0, -1.37, 119350.0, 485150.0, 12.19], &[(0, 454236)]),
    ("data/ign-lidarhd/test_data_77050_627755_LA93_IGN69.laz", 73355, [770500.0, 6277500.0, 20.25, 770541.68, 6277550.0, 43.49], &[(1, 1344), (2, 13881), (3, 187), (4, 1190), (5, 29514), (6, 27239)]),
    ("data/ign-lidarhd/test_data_77050_627760_LA93_IGN69.laz", 56035, [770500.0, 6277550.0, 20.64, 770550.0, 6277600.0, 37.7], &[(1, 4783), (2, 33568), (3, 379), (4, 933), (5, 12154), (6, 4148), (64, 70)]),
    ("data/ign-lidarhd/test_data_77055_627755_LA93_IGN69.laz", 72770, [770550.0, 6277500.0, 20.41, 770600.0, 6277550.0, 38.7], &[(1, 2264), (2, 39468), (3, 682), (4, 729), (5, 5152), (6, 24362), (64, 113)]),
    ("data/ign-lidarhd/test_data_77055_627760_LA93_IGN69.laz", 60653, [770550.0, 6277550.0, 20.72, 770600.0, 6277600.0, 39.62], &[(1, 581), (2, 22343), (3, 2497), (4, 2449), (5, 17875), (6, 14908)]),
    ("data/ign-lidarhd/test_data_77055_627760_ground_only.las", 22343, [770550.0, 6277550.0, 20.72, 770600.0, 6277600.0, 21.6], &[(2, 22343)]),
    ("data/ign-lidarhd/test_data_77060_627755_LA93_IGN69.laz", 83518, [770600.0, 6277500.0, 20.21, 770650.0, 6277550.0, 35.38], &[(1, 4436), (2, 32663), (3, 2347), (4, 3335), (5, 19871), (6, 20839), (64, 27)]),
    ("data/ign-lidarhd/test_data_77060_627760_LA93_IGN69.laz", 59606, [770600.0, 6277550.0, 20.39, 770650.0, 6277600.0, 34.94], &[(1, 3195), (2, 21975), (3, 1811), (4, 2184), (5, 12582), (6, 17859)]),
    ("data/ign-lidarhd/test_semis_2023_0299_6802_LA93_IGN69.laz", 278810, [299000.0, 6801000.0, 124.03, 300000.0, 6802000.0, 177.85], &[(1, 2711), (2, 198626), (3, 4277), (4, 3783), (5, 62376), (6, 6772), (17, 209), (66, 7), (67, 49)]),
    ("data/ign-lidarhd/test_semis_2023_0300_6802_LA93_IGN69.laz", 240482, [300000.0, 6801000.01, 124.51, 301000.0, 6802000.0, 190.45000000000002], &[(1, 1871), (2, 199624), (3, 5742), (4, 5871), (5, 19431), (6, 7940), (67, 3)]),
    ("data/isprs-filtertest/samp11.laz", 38010, [512700.87, 5403547.26, 295.25, 512834.76, 5403849.99, 404.08], &[(1, 16224), (2, 21786)]),
    ("data/isprs-filtertest/samp21.laz", 12960, [513508.81, 5403165.0, 288.48, 513632.59, 5403280.0, 320.28], &[(1, 2875), (2, 10085)]),
    ("data/isprs-filtertest/samp23.laz", 25095, [513648.22, 5402878.0, 262.27, 513794.41, 5403083.5, 348.29], &[(1, 11872), (2, 13223)]),
    ("data/isprs-filtertest/samp31.laz", 28862, [512094.22, 5403179.5, 226.94, 512268.41, 5403341.0, 343.95], &[(1, 13306), (2, 15556)]),
    ("data/isprs-filtertest/samp41.laz", 11231, [513247.66, 5403655.5, 260.39, 513414.84, 5403760.0, 337.6], &[(1, 5627), (2, 5604)]),
    ("data/isprs-filtertest/samp51.laz", 17845, [493967.44, 5419779.5, 252.28, 494199.84, 5420209.0, 301.66], &[(1, 3895), (2, 13950)]),
    ("data/isprs-filtertest/samp53.laz", 34378, [494678.94, 5420315.0, 251.82, 495109.34, 5420788.0, 331.04], &[(1, 1389), (2, 32989)]),
    ("data/isprs-filtertest/samp61.laz", 35060, [497167.66, 5421056.5, 286.68, 497671.88, 5421500.0, 361.04], &[(1, 1206), (2, 33854)]),
    ("data/lidr/Megaplot.laz", 81590, [684766.39, 5017773.08, 0.0, 684993.29, 5018007.25, 29.97], &[(1, 74201), (2, 7389)]),
    ("data/lidr/MixedConifer.laz", 37657, [481260.0, 3812921.09, 0.0, 481349.99, 3813010.99, 32.07], &[(1, 31832), (2, 5820), (11, 5)]),
    ("data/lidr/Topography.laz", 73403, [273357.14475, 5274357.1435, 788.99325, 273642.8565, 5274642.8475, 829.75825], &[(1, 61347), (2, 8159), (9, 3897)]),
    ("data/lidr/dbh.laz", 1369, [101.101, 151.869, 4.1290000000000004, 101.69500000000001, 152.748, 4.227], &[(1, 1369)]),
    ("data/pdal/4_6_crop.las", 23875, [1639600.0, 1454500.02, 7077.92, 1639799.98, 1454700.0, 7139.7], &[(1, 14872), (2, 9003)]),
    ("data/pdal/autzen_trim.laz", 110000, [636001.76, 848935.2000000001, 406.26, 637179.22, 849497.9, 520.51], &[(1, 83893), (2, 26107)]),
    ("data/pdal/hexbin-crop.las", 38367, [393775.82306091185, 3689071.9431220554, 3107.8627, 394069.2380609118, 3689273.095122055, 3209.3205000000003], &[(1, 3049), (2, 35318)]),
    ("data/pdal/las_with_several_extra_byte_bloc.laz", 697721, [484649.36, 6632629.73, 99.65, 484999.99, 6632999.99, 120.42], &[(1, 3262), (2, 683023), (3, 960), (4, 873), (5, 9003), (6, 590), (65, 10)]),
    ("data/pdal/lone-star.copc.laz", 518862, [515368.60225, 4918340.364, 2322.89625, 515401.043, 4918381.12375, 2338.5755], &[(0, 518862)]),
    ("data/pdal/mvk-thin.las", 6280, [2045001.76, 1267501.19, 95.79, 2049993.9200000002, 1272499.79, 228.73000000000002], &[(1, 129), (2, 1693), (4, 141), (5, 578), (9, 37), (12, 3702)]),
    ("data/pdal/sample_c.las", 14408, [674521.9200134277, 1206740.0800170898, 627.530029296875, 674605.3200134278, 1206814.9600170897, 656.230029296875], &[(2, 1368), (3, 93), (4, 29), (5, 7), (6, 12525), (11, 2), (14, 45), (31, 339)]),
    ("data/pdal/warsaw_small.las", 3000, [639913.26, 485143.14, 84.7, 639946.75, 485175.91, 104.55], &[(0, 433), (2, 1381), (3, 257), (4, 27), (5, 902)]),
];

#[test]
fn counts_bounds_and_classes_match_laspy() {
    let mut failures = Vec::new();
    for (rel, count, b, classes) in LASPY {
        let path = shared_path(rel);
        let mut r = LasReader::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut n = 0u64;
        let mut bounds = Bounds3::EMPTY;
        let mut hist: BTreeMap<u8, u64> = BTreeMap::new();
        while let Some(block) = r.read_block(100_000).unwrap_or_else(|e| panic!("{e}")) {
            n += block.len() as u64;
            bounds = bounds.union(&block.bounds());
            for &c in &block.classification {
                *hist.entry(c).or_default() += 1;
            }
        }
        let got = [bounds.min_x, bounds.min_y, bounds.min_z, bounds.max_x, bounds.max_y, bounds.max_z];
        let want_hist: BTreeMap<u8, u64> = classes.iter().copied().collect();
        if n != *count || got.iter().zip(b).any(|(g, w)| (g - w).abs() > 1e-9) || hist != want_hist {
            failures.push(format!("{rel}: got {n} pts {got:?} {hist:?}, laspy {count} pts {b:?} {want_hist:?}"));
        }
    }
    assert!(failures.is_empty(), "differences from laspy:\n{}", failures.join("\n"));
}

/// The table covers every LAS/LAZ file in ../shared/data (a new file must be added to it).
#[test]
fn table_covers_all_shared_files() {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>, root: &std::path::Path) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out, root);
            } else if zwilling_io::las::is_point_cloud(&p) {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let root = shared_dir();
    let mut found = Vec::new();
    walk(&shared_path("data"), &mut found, &root);
    found.sort();
    let mut listed: Vec<String> = LASPY.iter().map(|e| e.0.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed);
}
