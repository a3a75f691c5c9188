"""Offline training of the analyzer's shipped models (IO allowed here, unlike ``detect/``): data loaders,
fitting and evaluation. Nothing at run time imports this package; its output is package data such as
``detect/failure/model.json``."""
