"""Screens and forms for what a company records by hand: customers, sites, units,
certificates, inspections, deficiencies, cancelled visits and callback corrections."""
