"""Disk failure prediction: SMART and Redfish readings -> features -> calibrated probability -> findings.

- :mod:`.features`: :class:`DiskReading` (one drive, one time) and :class:`DiskFeatures` (levels and growth);
- :mod:`.readings`: smartctl_exporter and ``inframind_redfish_*`` samples -> readings per drive;
- :mod:`.model`: the logistic model as plain JSON (``model.json``, written by ``analyzer/training/disk.py``);
- :mod:`.predict`: probability within the horizon and the attributes that raise it;
- :mod:`.findings`: ``disk.failure`` findings with the attributes as evidence.
"""

from inframind.analyzer.detect.failure.features import COUNTS, DiskFeatures, DiskReading, features_from_history
from inframind.analyzer.detect.failure.findings import DiskObservation, SeverityThresholds, disk_findings
from inframind.analyzer.detect.failure.model import DiskModel
from inframind.analyzer.detect.failure.predict import Contribution, Prediction, predict, within
from inframind.analyzer.detect.failure.readings import DiskKey, Drive, readings_from_samples
from inframind.analyzer.detect.failure.shipped import shipped_model

__all__ = [
    "COUNTS",
    "Contribution",
    "DiskFeatures",
    "DiskKey",
    "DiskModel",
    "DiskObservation",
    "DiskReading",
    "Drive",
    "Prediction",
    "SeverityThresholds",
    "disk_findings",
    "features_from_history",
    "predict",
    "readings_from_samples",
    "shipped_model",
    "within",
]
