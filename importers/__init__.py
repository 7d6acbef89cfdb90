"""Importers: public incident datasets turned into the files layout (`telemetry.layout`), one
case directory per labelled incident, with the label kept in a file no backend serves."""
