//! [`LasInfo`]: everything the header and VLRs of a LAS/LAZ file say, before any point is read.

use std::path::PathBuf;

use serde::Serialize;
use zwilling_core::{Bounds3, CrsInfo, PointLayout};

use super::crs::CrsSource;
use super::header::{RawHeader, Vlr};

/// The header and VLRs of a LAS/LAZ file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LasInfo {
    /// The file.
    pub path: PathBuf,
    /// LAS version (major, minor), e.g. (1, 4).
    pub version: (u8, u8),
    /// Point data record format 0–10.
    pub point_format: u8,
    /// Bytes per point record, extra bytes included.
    pub record_length: u16,
    /// Number of points the header announces (the 64-bit count for LAS 1.4).
    pub point_count: u64,
    /// Points by return number 1–15 as the header states them (1–5 before LAS 1.4).
    pub points_by_return: Vec<u64>,
    /// Bounds as the header states them (not checked against the points).
    pub bounds: Bounds3,
    /// Coordinate scale factors x, y, z.
    pub scale: [f64; 3],
    /// Coordinate offsets x, y, z.
    pub offset: [f64; 3],
    /// The CRS: from the WKT record, else GeoTIFF keys, else unknown; or as assigned by `--crs`.
    pub crs: CrsInfo,
    /// Where [`LasInfo::crs`] came from.
    pub crs_source: CrsSource,
    /// Optional point columns this file has, including its number of extra bytes.
    pub layout: PointLayout,
    /// All VLRs, then all extended VLRs, in file order.
    pub vlrs: Vec<Vlr>,
    /// System identifier field.
    pub system_identifier: String,
    /// Generating software field.
    pub generating_software: String,
    /// File source id (e.g. flight line).
    pub file_source_id: u16,
    /// Global encoding bits (bit 0: adjusted standard GPS time; bit 4: WKT CRS).
    pub global_encoding: u16,
    /// Project GUID bytes.
    pub guid: [u8; 16],
    /// File creation (day of year, year); zero when unknown.
    pub creation: (u16, u16),
    /// True for LAZ (LASzip-compressed) point data.
    pub is_compressed: bool,
    /// True for a Cloud-Optimized Point Cloud (a `copc` info VLR is present).
    pub is_copc: bool,
    /// Problems that do not stop reading (missing CRS, ignored records ...).
    pub warnings: Vec<String>,
}

impl LasInfo {
    pub(crate) fn from_header(
        path: PathBuf,
        h: &RawHeader,
        vlrs: Vec<Vlr>,
        layout: PointLayout,
        warnings: Vec<String>,
    ) -> Self {
        let (crs, crs_source, crs_warning) = super::crs::crs_from_vlrs(&vlrs);
        let mut warnings = warnings;
        warnings.extend(crs_warning);
        let n_returns = if h.version.1 >= 4 { 15 } else { 5 };
        LasInfo {
            path,
            version: h.version,
            point_format: h.point_format(),
            record_length: h.record_length,
            point_count: h.point_count,
            points_by_return: h.points_by_return[..n_returns].to_vec(),
            bounds: h.bounds,
            scale: h.scale,
            offset: h.offset,
            crs,
            crs_source,
            layout,
            is_copc: vlrs.iter().any(|v| v.is_copc() && v.record_id == 1),
            vlrs,
            system_identifier: h.system_identifier.clone(),
            generating_software: h.generating_software.clone(),
            file_source_id: h.file_source_id,
            global_encoding: h.global_encoding,
            guid: h.guid,
            creation: (h.creation_day, h.creation_year),
            is_compressed: h.is_compressed(),
            warnings,
        }
    }

    /// Assigns a CRS (as `--crs EPSG:N` does), replacing what the file says.
    pub fn set_crs(&mut self, crs: zwilling_core::CrsInfo) {
        self.warnings.retain(|w| !w.contains("CRS") && !w.contains("EPSG"));
        self.crs = crs;
        self.crs_source = CrsSource::Override;
    }
}
