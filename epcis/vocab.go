package epcis

// Web vocabulary prefixes (CBV 2.0 §8.9 rules 14-16).
const (
	cbvBase = "https://ref.gs1.org/cbv/"
	vocBase = "https://ref.gs1.org/voc/"
)

// Bare-string terms of the EPCIS 2.0 JSON-LD context and the web URI prefix
// each expands to. These are the values a JSON-LD processor expands for
// fields typed "@vocab" (bizStep, disposition, ...); the hash uses the
// expanded form.
var (
	bizStepTerms = terms(cbvBase+"BizStep-",
		"accepting", "arriving", "assembling", "collecting", "commissioning",
		"consigning", "creating_class_instance", "cycle_counting", "decommissioning",
		"departing", "destroying", "disassembling", "dispensing", "encoding",
		"entering_exiting", "holding", "inspecting", "installing", "killing",
		"loading", "other", "packing", "picking", "receiving", "removing",
		"repackaging", "repairing", "replacing", "reserving", "retail_selling",
		"sampling", "sensor_reporting", "shipping", "staging_outbound",
		"stock_taking", "stocking", "storing", "transporting", "unloading",
		"unpacking", "void_shipping")

	dispositionTerms = terms(cbvBase+"Disp-",
		"active", "available", "completeness_verified", "completeness_inferred",
		"conformant", "container_closed", "container_open", "damaged", "destroyed",
		"dispensed", "disposed", "encoded", "expired", "in_progress", "in_transit",
		"inactive", "mismatch_instance", "mismatch_class", "mismatch_quantity",
		"needs_replacement", "no_pedigree_match", "non_conformant",
		"non_sellable_other", "partially_dispensed", "recalled", "reserved",
		"retail_sold", "returned", "sellable_accessible", "sellable_not_accessible",
		"stolen", "unavailable", "unknown")

	bizTransactionTypeTerms = terms(cbvBase+"BTT-",
		"bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder",
		"recadv", "rma", "testprd", "testres", "upevt")

	sourceDestTypeTerms = terms(cbvBase+"SDT-", "owning_party", "possessing_party", "location")

	errorReasonTerms = terms(cbvBase+"ER-", "did_not_occur", "incorrect_data")

	componentTerms = terms(cbvBase+"Comp-",
		"x", "y", "z", "axial_distance", "azimuth", "height", "spherical_radius",
		"polar_angle", "elevation_angle", "easting", "northing", "latitude",
		"longitude", "altitude")

	sensorExceptionTerms = terms(vocBase, "ALARM_CONDITION", "ERROR_CONDITION")

	measurementTypeTerms = terms(vocBase,
		"AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate", "Acceleration",
		"Radioactivity", "Altitude", "AmountOfSubstance",
		"AmountOfSubstancePerUnitVolume", "Angle", "AngularAcceleration",
		"AngularMomentum", "AngularVelocity", "Area", "Capacitance", "Conductance",
		"Conductivity", "Count", "Density", "Dimensionless", "DoseEquivalent",
		"DoseEquivalentRate", "DynamicViscosity", "ElectricCharge",
		"ElectricCurrent", "ElectricCurrentDensity", "ElectricFieldStrength",
		"Energy", "Exposure", "Force", "Frequency", "Illuminance", "Inductance",
		"Irradiance", "KinematicViscosity", "Length", "LinearMomentum", "Luminance",
		"LuminousFlux", "LuminousIntensity", "MagneticFlux", "MagneticFluxDensity",
		"MagneticVectorPotential", "Mass", "MassConcentration", "MassFlowRate",
		"MassPerAreaTime", "MemoryCapacity", "MolalityOfSolute", "MolarEnergy",
		"MolarMass", "MolarVolume", "Power", "Pressure", "RadiantFlux",
		"RadiantIntensity", "RelativeHumidity", "Resistance", "Resistivity",
		"SolidAngle", "SpecificVolume", "Speed", "SurfaceDensity", "SurfaceTension",
		"Temperature", "Time", "Torque", "Voltage", "Volume", "VolumeFlowRate",
		"VolumeFraction", "VolumetricFlux", "Wavenumber")
)

func terms(prefix string, words ...string) map[string]string {
	m := make(map[string]string, len(words))
	for _, w := range words {
		m[w] = prefix + w
	}
	return m
}

// idTypedFields hold IRIs in the EPCIS JSON-LD context ("@type": "@id" or
// "@vocab"): compact IRIs such as "gs1:Temperature" in them are expanded.
var idTypedFields = map[string]bool{
	"epcList": true, "childEPCs": true, "inputEPCList": true, "outputEPCList": true,
	"parentID": true, "epcClass": true, "id": true, "transformationID": true,
	"certificationInfo": true, "bizTransaction": true, "source": true,
	"destination": true, "deviceID": true, "deviceMetadata": true, "rawData": true,
	"dataProcessingMethod": true, "bizRules": true, "microorganism": true,
	"chemicalSubstance": true, "uriValue": true, "coordinateReferenceSystem": true,
	"correctiveEventIDs": true, "eventID": true,
	"bizStep": true, "disposition": true, "set": true, "unset": true, "type": true,
	"exception": true, "component": true, "reason": true,
}

// Well-known namespace prefixes, used for user extension keys and CURIE
// values even when a document's @context does not declare them.
var wellKnownNamespaces = map[string]string{
	"gs1":    vocBase,
	"cbv":    cbvBase,
	"epcis":  "https://ref.gs1.org/epcis/",
	"cbvmda": "urn:epcglobal:cbv:mda",
	// trustline's own extension namespace, so that events hashed on their
	// own agree with the same events hashed inside a document.
	TrustlinePrefix: TrustlineNamespace,
}
