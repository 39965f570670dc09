//! Trajectory and image-pose CSV files.
//!
//! **Trajectory** (`trajectory.csv`): a header line naming the columns, then one sample per line,
//! comma-separated. Required columns (any order, case-insensitive, extra columns ignored):
//! `time, x, y, z, heading, pitch, roll` — GPS time (same time base as the point cloud), easting,
//! northing, height, and attitude in degrees (heading clockwise from grid north, pitch nose up,
//! roll right side down). Times must increase strictly.
//!
//! **Image poses** (`images/poses.csv`): `image, time, x, y, z, heading, pitch, roll` plus the
//! optional camera columns `camera` (model name, e.g. `ortho` or `pinhole`), `gsd` (m/pixel),
//! `width`, `height` (pixels), `focal_px` (focal length in pixels).
//!
//! Bad input is an error naming the file and the line (1-based) and what is wrong. Writes are
//! atomic (temporary file in the same folder, then rename).

use std::path::Path;
use zwilling_core::{Error, Result, TrajectoryPoint};

use crate::write_atomic;

const TRAJ_COLUMNS: [&str; 7] = ["time", "x", "y", "z", "heading", "pitch", "roll"];

/// One row of an image-pose file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePoseRecord {
    /// Image file name, relative to the pose file's folder.
    pub image: String,
    /// Position and attitude (time, x, y, z, heading, pitch, roll).
    pub pose: TrajectoryPoint,
    /// Camera model name (empty when the column is missing).
    pub camera: String,
    /// Ground sample distance (m/pixel).
    pub gsd: Option<f64>,
    /// Image width (pixels).
    pub width: Option<u32>,
    /// Image height (pixels).
    pub height: Option<u32>,
    /// Focal length (pixels).
    pub focal_px: Option<f64>,
}

struct Csv {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>, // (1-based line, fields)
}

fn read_csv(path: &Path) -> Result<Csv> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((_, head)) = lines.next() else {
        return Err(Error::bad_file(path, "empty file: expected a header line"));
    };
    let split = |l: &str| l.split(',').map(|f| f.trim().trim_matches('"').to_string()).collect::<Vec<_>>();
    let header: Vec<String> = split(head).into_iter().map(|h| h.to_ascii_lowercase()).collect();
    let rows: Vec<(usize, Vec<String>)> = lines.map(|(i, l)| (i + 1, split(l))).collect();
    Ok(Csv { header, rows })
}

impl Csv {
    fn column(&self, path: &Path, name: &str) -> Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            Error::bad_file(path, format!("missing column '{name}' in the header (found: {})", self.header.join(",")))
        })
    }

    fn number(&self, path: &Path, line: usize, row: &[String], col: usize) -> Result<f64> {
        let name = &self.header[col];
        let v = row.get(col).ok_or_else(|| {
            Error::bad_file(path, format!("line {line}: {} fields, expected at least {}", row.len(), col + 1))
        })?;
        let x: f64 =
            v.parse().map_err(|_| Error::bad_file(path, format!("line {line}: {name} '{v}' is not a number")))?;
        if !x.is_finite() {
            return Err(Error::bad_file(path, format!("line {line}: {name} is not finite")));
        }
        Ok(x)
    }

    fn pose(&self, path: &Path, line: usize, row: &[String], cols: &[usize; 7]) -> Result<TrajectoryPoint> {
        let v: Vec<f64> = cols.iter().map(|&c| self.number(path, line, row, c)).collect::<Result<_>>()?;
        Ok(TrajectoryPoint { time: v[0], x: v[1], y: v[2], z: v[3], heading: v[4], pitch: v[5], roll: v[6] })
    }
}

/// Reads a trajectory CSV.
pub fn read_trajectory(path: &Path) -> Result<Vec<TrajectoryPoint>> {
    let csv = read_csv(path)?;
    let mut cols = [0usize; 7];
    for (c, name) in cols.iter_mut().zip(TRAJ_COLUMNS) {
        *c = csv.column(path, name)?;
    }
    let mut out: Vec<TrajectoryPoint> = Vec::with_capacity(csv.rows.len());
    for (line, row) in &csv.rows {
        let p = csv.pose(path, *line, row, &cols)?;
        if let Some(prev) = out.last() {
            if p.time <= prev.time {
                return Err(Error::bad_file(
                    path,
                    format!("line {line}: time {} does not increase (previous {})", p.time, prev.time),
                ));
            }
        }
        out.push(p);
    }
    if out.is_empty() {
        return Err(Error::bad_file(path, "no trajectory samples after the header"));
    }
    Ok(out)
}

/// Writes a trajectory CSV (atomically).
pub fn write_trajectory(path: &Path, points: &[TrajectoryPoint]) -> Result<()> {
    let mut s = String::with_capacity(points.len() * 90 + 40);
    s.push_str("time,x,y,z,heading,pitch,roll\n");
    for p in points {
        s.push_str(&format!(
            "{:.6},{:.4},{:.4},{:.4},{:.6},{:.6},{:.6}\n",
            p.time, p.x, p.y, p.z, p.heading, p.pitch, p.roll
        ));
    }
    write_atomic(path, s.as_bytes())
}

/// Reads an image-pose CSV.
pub fn read_image_poses(path: &Path) -> Result<Vec<ImagePoseRecord>> {
    let csv = read_csv(path)?;
    let image = csv.column(path, "image")?;
    let mut cols = [0usize; 7];
    for (c, name) in cols.iter_mut().zip(TRAJ_COLUMNS) {
        *c = csv.column(path, name)?;
    }
    let opt = |name: &str| csv.header.iter().position(|h| h == name);
    let (camera, gsd, width, height, focal) = (opt("camera"), opt("gsd"), opt("width"), opt("height"), opt("focal_px"));
    let mut out = Vec::with_capacity(csv.rows.len());
    for (line, row) in &csv.rows {
        let name = row
            .get(image)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::bad_file(path, format!("line {line}: empty image name")))?;
        let num = |c: Option<usize>| -> Result<Option<f64>> {
            match c {
                Some(c) if row.get(c).is_some_and(|v| !v.is_empty()) => Ok(Some(csv.number(path, *line, row, c)?)),
                _ => Ok(None),
            }
        };
        let int = |c: Option<usize>| -> Result<Option<u32>> {
            match num(c)? {
                Some(v) if v >= 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) => Ok(Some(v as u32)),
                Some(v) => Err(Error::bad_file(path, format!("line {line}: {v} is not a pixel count"))),
                None => Ok(None),
            }
        };
        out.push(ImagePoseRecord {
            image: name.clone(),
            pose: csv.pose(path, *line, row, &cols)?,
            camera: camera.and_then(|c| row.get(c).cloned()).unwrap_or_default(),
            gsd: num(gsd)?,
            width: int(width)?,
            height: int(height)?,
            focal_px: num(focal)?,
        });
    }
    Ok(out)
}

/// Writes an image-pose CSV (atomically).
pub fn write_image_poses(path: &Path, poses: &[ImagePoseRecord]) -> Result<()> {
    let mut s = String::from("image,time,x,y,z,heading,pitch,roll,camera,gsd,width,height,focal_px\n");
    let f = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
    let u = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
    for r in poses {
        if r.image.contains(',') || r.camera.contains(',') {
            return Err(Error::invalid(format!("image name or camera '{}' contains a comma", r.image)).in_file(path));
        }
        let p = &r.pose;
        s.push_str(&format!(
            "{},{:.6},{:.4},{:.4},{:.4},{:.6},{:.6},{:.6},{},{},{},{},{}\n",
            r.image,
            p.time,
            p.x,
            p.y,
            p.z,
            p.heading,
            p.pitch,
            p.roll,
            r.camera,
            f(r.gsd),
            u(r.width),
            u(r.height),
            f(r.focal_px)
        ));
    }
    write_atomic(path, s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<TrajectoryPoint> {
        (0..5)
            .map(|i| TrajectoryPoint {
                time: 400_000_000.0 + i as f64 * 0.02,
                x: 360_000.123 + i as f64 * 0.2,
                y: 5_700_000.5,
                z: 64.2,
                heading: 68.0,
                pitch: 0.859_372,
                roll: -1.432_096,
            })
            .collect()
    }

    #[test]
    fn trajectory_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        write_trajectory(&p, &sample()).unwrap();
        let back = read_trajectory(&p).unwrap();
        assert_eq!(back.len(), 5);
        for (a, b) in sample().iter().zip(&back) {
            assert!((a.time - b.time).abs() < 1e-6 && (a.x - b.x).abs() < 1e-4 && (a.roll - b.roll).abs() < 1e-6);
        }
    }

    #[test]
    fn columns_in_any_order_and_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, "Roll,pitch,heading,z,y,x,time,extra\n0,0,90,1,2,3,10,a\n0,0,90,1,2,3,11,b\n").unwrap();
        let t = read_trajectory(&p).unwrap();
        assert_eq!((t[1].x, t[1].time, t[0].heading), (3.0, 11.0, 90.0));
        std::fs::write(&p, "time,x,y,z,heading,pitch,roll\n1,2,3,4,5,6,7\n2,2,x3,4,5,6,7\n").unwrap();
        let e = read_trajectory(&p).unwrap_err().to_string();
        assert!(e.contains("t.csv") && e.contains("line 3") && e.contains("'x3'"), "{e}");
        std::fs::write(&p, "time,x,y,z,heading,pitch\n1,2,3,4,5,6\n").unwrap();
        let e = read_trajectory(&p).unwrap_err().to_string();
        assert!(e.contains("missing column 'roll'"), "{e}");
        std::fs::write(&p, "time,x,y,z,heading,pitch,roll\n2,2,3,4,5,6,7\n1,2,3,4,5,6,7\n").unwrap();
        assert!(read_trajectory(&p).unwrap_err().to_string().contains("line 3: time 1 does not increase"));
        std::fs::write(&p, "").unwrap();
        assert!(read_trajectory(&p).unwrap_err().to_string().contains("empty file"));
        let missing = dir.path().join("nope.csv");
        assert!(read_trajectory(&missing).unwrap_err().to_string().contains("nope.csv"));
    }

    #[test]
    fn image_poses_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("poses.csv");
        let recs: Vec<ImagePoseRecord> = sample()
            .into_iter()
            .enumerate()
            .map(|(i, pose)| ImagePoseRecord {
                image: format!("img_{i:05}.jpg"),
                pose,
                camera: "ortho".into(),
                gsd: Some(0.004),
                width: Some(1024),
                height: Some(768),
                focal_px: None,
            })
            .collect();
        write_image_poses(&p, &recs).unwrap();
        let back = read_image_poses(&p).unwrap();
        assert_eq!(back.len(), 5);
        assert_eq!(back[3].image, "img_00003.jpg");
        assert_eq!(
            (back[3].gsd, back[3].width, back[3].height, back[3].focal_px),
            (Some(0.004), Some(1024), Some(768), None)
        );
        assert_eq!(back[3].camera, "ortho");
        assert!((back[3].pose.x - recs[3].pose.x).abs() < 1e-4);
    }
}
