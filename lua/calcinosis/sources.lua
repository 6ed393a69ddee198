--- The bibliography: every source key the project cites (`S1` ... `S92`,
-- `C1` ..., `X1` ..., `seed:000` ...), resolved to a full reference.
--
-- The rules, the knowledge tables, the vocabulary, the reference ranges and
-- the comments of the C core cite their sources by key (`[S34]`,
-- `source = "S1 S2"`, `seed:002`). This module says what each key is:
-- authors, title, journal or site, year, DOI, PMID, PMCID or address where
-- they are known, and what was read (`note`, e.g. "abstract only"). The
-- clinical reference of the project (docs/clinical-reference.md) cites the
-- same keys and ends with the bibliography this module writes
-- (`bibliography`).
--
-- Kinds of keys:
--
-- - `S` keys: the literature, guidelines, laboratory catalogues and web
--   pages the clinical reference was written from. Several were read as
--   excerpts or mirror copies only; `note` says so.
-- - `C` and `X1` ... `X11`: published case reports cited for one fact each.
--   Their full references were not recorded with the facts; the entries say
--   what each case is cited for and are marked `incomplete` (never a guessed
--   reference).
-- - `X101` ...: the published cases of spec/cases (their references are
--   complete); `X148` ... `X150`: case reports the default ruleset cites
--   whose references were not recorded (`incomplete`).
-- - `seed:000` ... `seed:004`: the documents the project started from
--   (public web pages about calcinosis), described as "project seed
--   document".
--
-- Keys with a suffix resolve to their base entry plus the suffix: the
-- registered parts (`S2-tx` the Medscape treatment page, `S34-DHVD` the
-- Mayo DHVD catalogue entry, `S25-full case` ...) carry their own title or
-- note; any other suffix (`S35-UCSF`) resolves to the base entry with the
-- suffix as its `part`.
--
-- An entry: `key`, `kind`, `authors`, `title` (or `description` when the
-- title was not recorded), `container` (journal, site or book), `year`,
-- `volume` (volume, issue and pages as printed), `doi`, `pmid`, `pmc`,
-- `url`, `date` (of a web page's update), `publisher`, `note`, `part` and
-- `base` (suffixed keys), `incomplete` (true when no full reference is
-- recorded), `cases` (X101 ...: the ids of spec/cases), and `citation` (the
-- entry formatted as text). Entries are shared tables: read them, do not
-- change them.
--
-- Pure data and small pure functions; requires nothing.
-- @module calcinosis.sources

local M = {}

local ENTRIES = {}   -- key -> entry
local ORDER = {}     -- keys in bibliography order

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- constructors (plain data; the kind is the only thing they add)
local function kind(k)
  return function(t) t.kind = k; return t end
end
local article, web, book, guideline = kind("article"), kind("web page"), kind("book"), kind("guideline")
local catalogue, codes, collection = kind("laboratory catalogue"), kind("code set"), kind("collection")
local function case(t) t.kind = "case report"; return t end
local function unrecorded(t)
  t.kind = t.kind or "case report"
  t.incomplete = true
  return t
end
local function seed(t) t.kind = "project seed document"; return t end

---------------------------------------------------------------------------
-- S keys: the sources of the clinical reference

local S = {
  S1 = article { authors = "Reiter N, El-Shabrawi L, Leinweber B, Berghold A, Aberer E",
    title = "Calcinosis cutis: part I. Diagnostic pathway", container = "J Am Acad Dermatol", year = 2011,
    volume = "65(1):1–12", pmid = "21679810", note = "abstract only; the pathway figure was not read" },
  S2 = web { authors = "Nunley JR", title = "Calcinosis Cutis", container = "Medscape / eMedicine",
    year = 2020, date = "updated 5 Mar 2020", note = "article 1103137, the overview page" },
  S3 = web { authors = "Le C, Bedocs PM", title = "Calcinosis Cutis", container = "StatPearls", year = 2019,
    date = "updated 5 Sep 2019", url = "knowledge.statpearls.com/chapter/rheumatology/18768" },
  S4 = web { title = "Calcinosis cutis", container = "healthjade.com", url = "healthjade.com/calcinosis-cutis",
    note = "DermNet-style cause lists; DermNet NZ itself was not retrieved" },
  S5 = web { description = "calcinosis cutis cause lists citing Nunley, eMedicine 2009",
    container = "roentgenrayreader.blogspot.com", year = 2010, note = "blog post" },
  S6 = article { authors = "Jiménez-Gallo D et al.", title = "Calcinosis cutis and calciphylaxis",
    container = "Actas Dermosifiliogr", year = 2015, volume = "106(10):785–794",
    note = "abstract and table titles; the tables themselves were not read" },
  S7 = web { authors = "Bell D", title = "Idiopathic calcinosis cutis", container = "Radiopaedia", year = 2020 },
  S8 = article { description = "subepidermal calcified nodule vs milia-like idiopathic calcinosis cutis in an infant",
    container = "Dermatology Online Journal", url = "escholarship.org/uc/item/03d1q512" },
  S9 = web { title = "Subepidermal calcified nodule", container = "entokey.com", note = "textbook chapter" },
  S10 = article { authors = "Balin SJ et al.",
    description = "calcinosis cutis associated with connective-tissue disease, Mayo Clinic series of 78 patients",
    container = "Arch Dermatol", year = 2012, volume = "148(4):455–462" },
  S11 = article { authors = "Traineau H et al.",
    description = "systematic review of calcinosis treatment in systemic sclerosis and dermatomyositis " ..
      "(30 studies, 288 patients)",
    container = "J Am Acad Dermatol", year = 2020, note = "PII S0190-9622(19)32318-7" },
  S12 = article { description = "review: calcinosis in dermatomyositis", pmc = "PMC10269219" },
  S13 = article { authors = "Hoeltzel MF et al.", description = "review of calcinosis in juvenile dermatomyositis",
    container = "Curr Rheumatol Rep", year = 2014, volume = "16(12):467", pmc = "PMC5118224" },
  S14 = web { authors = "Yoon", title = "CREST Syndrome", container = "Medscape", year = 2020,
    date = "updated 5 Oct 2020", note = "article 1064663" },
  S15 = web { title = "CREST syndrome", container = "Wikipedia" },
  S16 = web { authors = "Nunley", title = "Calciphylaxis: workup", container = "Medscape", year = 2018,
    date = "2 Aug 2018",
    note = "article 1095481; with the Medscape answer 1095481-61905 on sodium thiosulfate, 24 Feb 2020" },
  S17 = article { authors = "Sprague SM", title = "Painful skin ulcers in a hemodialysis patient",
    container = "Clin J Am Soc Nephrol", year = 2014, volume = "9(1):166–173", pmc = "PMC3878687",
    note = "epub Nov 2013" },
  S18 = article { description = "calciphylaxis risk factors (Table 1)", pmc = "PMC2952095" },
  S19 = article { description = "calcific uremic arteriolopathy in peritoneal dialysis", pmc = "PMC3124933" },
  S20 = web { title = "Calciphylaxis (calcific uremic arteriolopathy)", container = "UpToDate", year = 2023,
    date = "updated Jun 2023", note = "read as a mirror copy" },
  S21 = article { description = "guideline targets for calcium, phosphate and PTH in dialysis (Table 1)",
    container = "Nutrients", year = 2013, pmc = "PMC3705332" },
  S22 = article { authors = "Santos PW et al.",
    description = "calciphylaxis registry of 117 dialysis patients", container = "Int Urol Nephrol", year = 2017 },
  S23 = article { title = "Picture of the Month: calcified nodule secondary to heel sticks",
    container = "Arch Pediatr Adolesc Med", year = 2006, volume = "160(6):646" },
  S24 = web { title = "Calcified nodules of the heels; Calcinosis cutis (infant/neonate)", container = "VisualDx" },
  S25 = web { title = "Curious yellow bumps on a baby's heels", container = "Contemporary Pediatrics" },
  S26 = article { authors = "Boyce AM et al.",
    description = "review of hyperphosphatemic familial tumoral calcinosis (HFTC)",
    container = "Front Endocrinol", year = 2020,
    note = "with GeneReviews 'Hyperphosphatemic familial tumoral calcinosis' and OMIM 211900" },
  S26c = article { description = "familial tumoral calcinosis with hyperphosphatemia (hFTC) vs " ..
    "normophosphatemia (nFTC)", pmc = "PMC3233725" },
  S27 = web { authors = "Scofield", title = "Milk-Alkali Syndrome", container = "Medscape", year = 2017,
    date = "Aug 2017", note = "article 123324" },
  S28 = guideline { authors = "National Kidney Foundation",
    title = "KDOQI Clinical Practice Guidelines for Bone Metabolism and Disease in Chronic Kidney Disease",
    year = 2003, url = "kidneyfoundation.cachefly.net", note = "adult Guideline 6; paediatric Guideline 7" },
  S29 = guideline { description = "KDIGO guideline-comparison tables: UK Renal Association 2007 (Module 2) " ..
    "and CARI 2006" },
  S29b = article { description = "UK Renal Association commentary on the KDIGO 2017 CKD-MBD update",
    container = "BMC Nephrol", year = 2018, note = "article s12882-018-1037-8" },
  S30 = codes { authors = "Centers for Medicare & Medicaid Services",
    title = "ICD-10-CM FY2023 code descriptions (icd10cm_codes_2023.txt)", year = 2023,
    note = "read in a copy in the GitHub repository arijitdasgupta543-dev/Medisathi" },
  S31 = codes { description = "VA VistA encounter-form data listing 'Calciphylaxis' with E83.59",
    note = "third-party code table" },
  S32 = codes { authors = "World Health Organization", title = "ICD-10 (2019) online browser",
    year = 2019, note = "chapters XIII and XVII" },
  S33 = codes { title = "ICD-10-CM 2010 tabular list, chapter 12", container = "Wikisource", year = 2010,
    note = "Excludes notes" },
  S34 = catalogue { authors = "Mayo Clinic Laboratories",
    title = "Test catalog entries CA, CAI, PHOS, ALB, CRTS1, ALP, 25HDN, DHVD, CALU and PTH2",
    note = "read via hospital mirrors, *.testcatalog.org" },
  S35 = catalogue { description = "other laboratory catalogues: UCSF Laboratory Medicine; Bozeman Health; " ..
    "Augusta University; MercyOne; ARUP; Quest (via the Adventist Health and Wheaton directories); Davis's Lab " ..
    "& Diagnostic Tests; MedPage Today lab reference; Hunterdon; University of Michigan MLabs; Alfred " ..
    "Pathology (RCPA/AACB harmonised ranges); Sinai/Quest; Ridgeview; fhplab; Barnes-Jewish (BJH); National " ..
    "Jewish Health" },
  S36 = codes { description = "LOINC sources: loinc.org/2731-8 (v2.77); HL7 PDDI value set (LOINC 2.82); the " ..
    "ARUP, Mayo, MercyOne, NorDx, Billings Clinic, UMich, Hunterdon, MedPage Today, healthassure and BJH " ..
    "catalogues; AHRQ HCUP LOINC worksheet; an HL7 FHIR ConceptMap / third-party code list (98979-8); the " ..
    "Swiss eGFR implementation guide (98980-6); a Dutch laboratory formulary (71790-0)",
    note = "LOINC mod-10 check digits verified locally" },
  S37 = collection { description = "unit-conversion sources: python3-periodictable 1.6.0 (IUPAC standard " ..
    "atomic weights); UCSF; Davis's; PMC7276095 Table 1; calculator.academy (citing CDC NHANES); a Medscape " ..
    "1,25-dihydroxyvitamin D text (mirror copy); the JAMA SI conversion table" },
  S38 = book { authors = "Engelking LR",
    title = "Textbook of Veterinary Physiological Chemistry, appendix (blood chemistry values, domestic animals)",
    publisher = "Taylor & Francis", doi = "10.1201/b16175-78",
    note = "with Danner et al., J Vet Intern Med 2017 (albumin-corrected calcium in 1,719 dogs)" },
  S39 = article { authors = "van den Hoogen F et al.",
    description = "2013 ACR/EULAR classification criteria for systemic sclerosis (Table 1)",
    container = "Ann Rheum Dis", year = 2013, volume = "72:1747–1755",
    note = "also published in Arthritis Rheum 2013;65:2737–2747" },
  S40 = article { authors = "Payne RB, Little AJ, Williams RB, Milner JR",
    title = "Interpretation of serum calcium in patients with abnormal serum proteins", container = "BMJ",
    year = 1973, volume = "4(5893):643–646", pmid = "4758544",
    note = "abstract read on PubMed and bmj.com: \"Adjusted calcium = calcium − albumin + 4.0\"; the 0.8 and SI " ..
      "0.02 forms from secondary pages attributing them to Payne: theguidewire.net, medcalctools.com, the " ..
      "Cambio CKM archetype 'Calcium_corrected', simplicalcs.com" },
  S41 = article { authors = "Inker LA et al.", description = "the CKD-EPI 2021 creatinine equation (race-free)",
    container = "N Engl J Med", year = 2021, volume = "385:1737–1749",
    note = "with the NKF page 'CKD-EPI Creatinine Equation (2021)' (kidney.org) and the NIDDK eGFR page" },
  S42 = web { authors = "National Kidney Foundation", title = "Bedside Schwartz", container = "kidney.org" },
  S43 = guideline { authors = "KDIGO", description = "KDIGO 2012 clinical practice guideline for chronic kidney " ..
    "disease (GFR and albuminuria categories)", container = "Kidney Int Suppl", year = 2013, volume = "3:19–62",
    note = "read via a Cleveland Clinic J Med reprint; with ARUP eGFR (3005478), BMJ Best Practice and " ..
      "medicalcriteria.com" },
  S44 = article { authors = "Valenzuela A et al.", description = "calcinosis in systemic sclerosis (cohort)",
    container = "Semin Arthritis Rheum", year = 2020, volume = "50(5):891", pmc = "PMC8205269" },
  S45 = web { title = "Calcifying and ossifying disorders of the skin", container = "Duke Scholars" },
  S46 = article { description = "calciphylaxis review (Danish)", container = "Ugeskr Laeger", year = 2009 },
  S47 = web { title = "dystrophic calcinosis", container = "biology-online.org" },
  S48 = web { description = "calcinosis cutis", container = "skin-disease-care.biocyclopedia.com" },
  S49 = web { title = "Metastatic calcification", container = "Wikipedia", note = "secondary source" },
  S50 = book { authors = "Christman MP, Kroshinsky D",
    description = "chapter 9 in Nunley JR, Lerma EV (eds), Dermatological Manifestations of Kidney Disease",
    publisher = "Springer", year = 2015, note = "read via plasticsurgerykey.com" },
  S51 = web { description = "Bolognia-style notes on calcinosis cutis", container = "drclementlo.com" },
  S52 = article { authors = "Kim et al.", description = "uraemic tumoral calcinosis in peritoneal dialysis",
    container = "Kidney Res Clin Pract", year = 2014, volume = "33(4)" },
  S53 = web { description = "calcinosis cutis", container = "10faq.com" },
  S54 = web { description = "calcinosis cutis", container = "clinicalgate.com" },
  S55 = article { description = "calciphylaxis review", pmc = "PMC3601884" },
  S56 = web { description = "calcinosis in systemic sclerosis; performance of the ACR/EULAR criteria",
    container = "seekhealthz.com" },
  S57 = web { description = "elbow nodules (a CREST case)", container = "MDedge" },
  S58 = web { description = "site descriptions of calcinosis cutis", container = "drclementlo.com / VisualDx" },
  S59 = web { title = "Calciphylaxis", container = "WikEM" },
  S60 = article { description = "case report: calciphylaxis in CKD stage 3", container = "Wounds (HMP Global)" },
  S61 = article { description = "case report: idiopathic scrotal calcinosis", container = "Case Rep Urol",
    publisher = "Hindawi", year = 2020 },
  S62 = article { description = "seven cases of idiopathic scrotal calcinosis", container = "Eur Arch Med Res",
    year = 2019, volume = "35(3):132" },
  S63 = article { description = "calcium extravasation", container = "Cureus", pmc = "PMC10666667" },
  S63b = article { description = "calcinosis after calcium extravasation in an infant",
    container = "J Korean Orthop Assoc", year = 2019, volume = "54(2):192" },
  S64 = article { description = "modern milk-alkali syndrome", container = "Cases Journal", year = 2009 },
  S65 = web { description = "history-taking in calcinosis cutis", container = "psychiatryadvisor.com" },
  S66 = web { description = "calcinosis cutis work-up list", container = "infinitelexicon",
    note = "weak secondary source" },
  S67 = article { description = "systematic review of calcinosis in juvenile dermatomyositis",
    container = "Curr Rheumatol Rep", year = 2023, doi = "10.1007/s11926-023-01126-5" },
  S68 = web { authors = "Denton", title = "EULAR 2012: systemic sclerosis that doesn't fit the mold",
    container = "The Rheumatologist", year = 2012 },
  S69 = article { authors = "Vayssairat M et al.", description = "calcinosis in systemic sclerosis",
    container = "Ann Rheum Dis", year = 1998, volume = "57(4):252" },
  S70 = article { authors = "Kaliyadan F, Venkitakrishnan S",
    description = "alendronate for calcinosis in juvenile dermatomyositis (case letter)",
    container = "Indian J Dermatol", year = 2011, volume = "56(3):357–359", pmc = "PMC3132933",
    note = "with Mukamel M et al., J Pediatr 2001;138:763–766" },
  S71 = article { description = "case report: etidronate and cimetidine in juvenile dermatomyositis calcinosis",
    container = "Case Rep Rheumatol", publisher = "Hindawi", year = 2015, volume = "2015:817592" },
  S72 = web { title = "Sodium thiosulphate", container = "edren.org renal unit handbook" },
  S73 = article { authors = "Gossett et al.",
    description = "calciphylaxis in peritoneal dialysis, a systematic review", container = "Medicina", year = 2023 },
  S74 = article { description = "local and minimally invasive therapies of calcinosis cutis, a systematic review",
    container = "Arch Dermatol Res", year = 2021, doi = "10.1007/s00403-021-02264-5" },
  S75 = article { authors = "Robertson LP, Marshall RW, Hickling P",
    description = "minocycline for calcinosis in limited cutaneous systemic sclerosis",
    container = "Ann Rheum Dis", year = 2003, volume = "62(3):267–269" },
  S76 = article { authors = "Valenzuela A, Chung L", description = "management of calcinosis in systemic sclerosis",
    container = "Curr Treat Options Rheumatol", year = 2016, volume = "2(1):85–96", note = "abstract" },
  S77 = article { description = "review, Table 4 (mechanisms of calcinosis therapies)", container = "J Rheumatol" },
  S78 = web { title = "Nephro-dermatology: two cases that link the kidneys and the skin",
    container = "Practical Dermatology" },
  S79 = article { description = "penile calciphylaxis: a case and the literature", pmc = "PMC6996423" },
  S80 = article { authors = "Mathur RV, Shortland JR, El Nahas AM", description = "calciphylaxis review",
    container = "Postgrad Med J", year = 2001, volume = "77:557–561" },
  S81 = article { authors = "Baron M et al.", description = "calcinosis in a systemic sclerosis cohort",
    container = "Rheumatology", year = 2016, volume = "55(12):2148–2155", pmc = "PMC5144666" },
  S82 = article { authors = "Lian IA, Åsberg A", title = "Should total calcium be adjusted for albumin?",
    container = "BMJ Open", year = 2018, volume = "8(4):e017703", pmc = "PMC5892769" },
  S83 = book { description = "dermatopathology textbook chapter 'Calciphylaxis' (risk-factor table and " ..
    "clinical presentation)", container = "mussenhealth.us, 'Risk Factors for Calciphylaxis'",
    note = "read as a web mirror" },
  S84 = article { authors = "Daudén E, Oñate MJ", title = "Calciphylaxis", container = "Dermatol Clin",
    year = 2008, volume = "26:557–568",
    note = "as summarized in a dermatology textbook excerpt (skin-disease-care.biocyclopedia.com)" },
  S85 = web { title = "What is Calciphylaxis? — Risk Factors", container = "calciphylaxis.org.au" },
  S87 = article { title = "Update on calciphylaxis etiopathogenesis, diagnosis, and management",
    container = "Cutis (MDedge)" },
  S88 = article { authors = "Dobry AS, Ko LN, St John J, Sloan JM, Nigwekar S, Kroshinsky D",
    title = "Association between hypercoagulable conditions and calciphylaxis in patients with renal disease: " ..
      "a case-control study",
    container = "JAMA Dermatol", year = 2018, volume = "154(2):182–187", doi = "10.1001/jamadermatol.2017.4920",
    pmid = "29238798", pmc = "PMC5839276" },
  S89 = web { title = "Calcinosis cutis", container = "Vetbook (vetbook.org)", note = "veterinary wiki" },
  S90 = article { title = "Calcinosis cutis in dogs: histopathological and clinical analysis of 46 cases",
    container = "Veterinary Dermatology", note = "abstract read in a translation; authors and year not read" },
  S91 = article { description = "case report of a dog with hypercortisolism and secondary cutaneous calcinosis",
    note = "abstract indexed on discovery.researcher.life" },
  S92 = web { authors = "VCA Animal Hospitals", title = "Calcinosis Circumscripta and Cutis in Dogs",
    note = "client information page" },
}

-- Parts of an S entry cited with a suffix: fields that replace or add to the
-- base entry's.
local PARTS = {
  ["S2-clinical"] = { part = "the clinical presentation page", note = "article 1103137" },
  ["S2-tx"] = { part = "the treatment page; its prognosis text read via a mirror copy", note = "article 1103137" },
  ["S13b"] = { part = "the same reference as S13, cited separately for the 'about one third' JDM figure" },
  ["S20-tx"] = { title = "Calcinosis cutis: management", date = false, year = false,
    part = "a separate UpToDate topic" },
  ["S25-full case"] = { title = "Full case: infant presents with an asymptomatic pearl-like nodule on the heel",
    part = "full case page" },
  ["S34-CA"] = { part = "CA entry (total calcium)" },
  ["S34-CAI"] = { part = "CAI entry (ionized calcium)" },
  ["S34-PHOS"] = { part = "PHOS entry (phosphorus)" },
  ["S34-ALB"] = { part = "ALB entry (albumin)" },
  ["S34-CRTS1"] = { part = "CRTS1 entry (creatinine with eGFR)" },
  ["S34-ALP"] = { part = "ALP entry (alkaline phosphatase)" },
  ["S34-25HDN"] = { part = "25HDN entry (25-hydroxyvitamin D)" },
  ["S34-DHVD"] = { part = "DHVD entry (1,25-dihydroxyvitamin D)" },
  ["S34-CALU"] = { part = "CALU entry (24-hour urine calcium)" },
  ["S34-PTH2"] = { part = "PTH2 entry (intact PTH)" },
  ["S35q"] = { part = "Quest phosphorus interpretive text" },
}

---------------------------------------------------------------------------
-- C and X keys: published case reports

-- Cited for one fact each; their full references were not recorded with the
-- facts (what each is cited for is what is known).
local C = {
  C1 = unrecorded { description = "published case report: hyperphosphatemic familial tumoral calcinosis in " ..
    "which daily haemodialysis, despite normal kidney function, controlled the hyperphosphataemia" },
  C2 = unrecorded { description = "published case report: uraemic tumoral calcinosis with tertiary " ..
    "hyperparathyroidism in dialysis, treated by correcting the calcium/phosphate disorder; resorption of the " ..
    "large deposits caused a transient PTH-independent hypercalcaemia" },
  C3 = unrecorded { description = "published case report whose laboratory values are a worked example: " ..
    "albumin-corrected calcium 10.2 mg/dL, phosphate 7.7 mg/dL (Ca × P 78.54 mg²/dL²)" },
  C5 = unrecorded { description = "published case report whose laboratory values are a worked example: " ..
    "calcium 9.3 mg/dL, phosphate 10.3 mg/dL (Ca × P 95.79 mg²/dL², as the authors printed)" },
  C7 = unrecorded { description = "published case report of calcinosis at neonatal heel-stick sites whose " ..
    "authors describe the pathogenesis as dystrophic (local injury)" },
  C10 = unrecorded { description = "published case report: calcinosis in juvenile dermatomyositis with a " ..
    "positive anti-Jo-1 antibody" },
  C13 = unrecorded { description = "published case report: metastatic calcinosis with sarcoidosis and a high " ..
    "cola intake; prednisone and stopping the cola gave clinical resolution in 4 months, radiographic in 2 years" },
  C14 = unrecorded { description = "published case report: calcinosis cutis at an intravenous cannula site " ..
    "after extravasation of calcium gluconate given for neonatal hypocalcaemia" },
  C15 = unrecorded { description = "published case report: calcinosis cutis after extravasation of intravenous " ..
    "calcium gluconate in a neonate or infant, resolving spontaneously within weeks to months" },
  X1 = unrecorded { kind = "case series", description = "published case series: calciphylaxis in primary " ..
    "hyperparathyroidism with normal renal function (16 cases in the English literature by 2010)" },
  X3 = unrecorded { description = "published case report: 'benign nodular calcification', periarticular " ..
    "metastatic calcinosis in otherwise normal skin of an adult on dialysis" },
  X5 = unrecorded { description = "published case report: calcinosis cutis at an intravenous cannula site after " ..
    "calcium gluconate extravasation in a neonate or infant, resolved within weeks to months" },
  X8 = unrecorded { description = "published case report: calcinosis cutis in primary hyperparathyroidism; the " ..
    "lesions disappeared after calcium and phosphate were normalized" },
  X9 = unrecorded { description = "published case report: calcinosis cutis at an intravenous cannula site after " ..
    "calcium gluconate extravasation in a neonate or infant, resolved within weeks to months" },
  X10 = unrecorded { description = "published case report: dystrophic calcinosis cutis with Sjögren syndrome" },
  X11 = unrecorded { description = "published case report: milia-like idiopathic calcinosis cutis (MICC), which " ..
    "can disappear spontaneously by adulthood" },
  X148 = unrecorded { description = "published case report cited by the default ruleset and the vocabulary for " ..
    "calciphylaxis after kidney transplantation, also with normal graft function" },
  X149 = unrecorded { description = "published case report cited by the default ruleset and the vocabulary for " ..
    "calciphylaxis after kidney transplantation, also with normal graft function" },
  X150 = unrecorded { description = "published case report cited by the default ruleset and the vocabulary for " ..
    "non-uraemic calciphylaxis with malignancy, systemic corticosteroids and chemotherapy" },
}

-- The published cases of spec/cases (spec/cases/README.md has the same
-- references; spec/sources_spec.lua checks that they agree).
local X = {
  X101 = case { authors = "Huang YC, Chou CY, Sue YM, Hu CH",
    title = "Warfarin-induced calciphylaxis in a chronic hypercalcemic patient",
    container = "Indian J Dermatol Venereol Leprol", year = 2013, volume = "79:135",
    doi = "10.4103/0378-6323.104691", cases = { "huang2013_warfarin_hypercalcaemia" } },
  X102 = case { authors = "Alvarez-Perez A, Gutierrez-Gonzalez E, Sanchez-Aguilar D, Toribio J",
    title = "Atypical calciphylaxis secondary to treatment with acenocoumarol",
    container = "Actas Dermosifiliogr", year = 2012, volume = "103(1):79-81",
    url = "https://actasdermo.org/en-atypical-calciphylaxis-secondary-treatment-with-articulo-S1578219012000522",
    cases = { "alvarez_perez2012_acenocoumarol" } },
  X103 = case { authors = "Koratala A, Ejaz AA, Mohandas R",
    title = "Calciphylaxis of the breast: a rare metabolic complication of kidney disease",
    container = "BMJ Case Rep", year = 2016, doi = "10.1136/bcr-2016-216665", cases = { "koratala2016_breast" } },
  X104 = case { authors = "Salem D", title = "Calciphylaxis", container = "Consultant", year = 2018,
    volume = "58(1):44-46", url = "https://dev.consultant360.com/articles/calciphylaxis",
    cases = { "salem2018_extremities" } },
  X105 = case { authors = "Gutnik et al. (first author as printed in the journal's address)",
    title = "Bilateral breast necrosis: a rare presentation of calciphylaxis",
    container = "ACS Case Reviews in Surgery", year = 2023, volume = "4(3)",
    url = "https://facs.org/for-medical-professionals/news-publications/journals/case-reviews/issues/v4n3/" ..
      "08-gutnik-bilateral-breast-necrosis",
    cases = { "gutnik2023_bilateral_breast" } },
  X106 = case { authors = "Ikouch K, Wajih O, Benchrifi Y, Tossi S, Benhassou M, Ennachit M, El Kerroumi M",
    title = "Calciphylaxis, another facet of mastitis: a case report", container = "Int J Adv Res", year = 2023,
    volume = "11(07):1166-1170", doi = "10.21474/IJAR01/17330", cases = { "ikouch2023_mastitis" } },
  X107 = case { authors = "Hale EK", title = "Metastatic calcification", container = "Dermatol Online J",
    year = 2003, volume = "9(4):2", url = "https://escholarship.org/uc/item/09m81278",
    cases = { "hale2003_indurated_plaques" } },
  X108 = case { authors = "Perillo T, Arcamone G, Bonamonte D, Pascone M, Santoro N",
    title = "Iatrogenic calcinosis cutis in a child affected by acute lymphoblastic leukemia",
    container = "Case Rep Clin Med", year = 2014, volume = "3:13-17", doi = "10.4236/crcm.2014.31004",
    cases = { "perillo2014_all_gluconate" } },
  X109 = case { authors = "Hetaimish B",
    title = "Neonatal calcinosis cutis after treatment of hypocalcemia with calcium gluconate: a report of 2 cases",
    container = "Am J Case Rep", year = 2024, volume = "25:e943397", doi = "10.12659/AJCR.943397",
    cases = { "hetaimish2024_case1", "hetaimish2024_case2" } },
  X110 = case { authors = "Arora A, Jain V, Bhutani R", title = "Iatrogenic neonatal calcinosis cutis",
    container = "Eurorad (case 8455)", year = 2011, url = "https://www.eurorad.org/case/8455",
    cases = { "arora2011_preterm_leg" } },
  X111 = case { authors = "Aktas S, Turkyilmaz C, Unal S, Ergenekon E",
    title = "Calcinosis cutis mimicking infection in a preterm infant", container = "Ann Pediatr Child Health",
    year = 2015, url = "https://docslib.org/doc/5660547/calcinosis-cutis-mimicking-infection-in-a-preterm-infant",
    cases = { "aktas2015_preterm_mimicking_infection" } },
  X112 = case { authors = "Puvabanditsin S, Garrow E, Titapiwatanakun R, Getachew R, Patel JB",
    title = "Severe calcinosis cutis in an infant", container = "Pediatr Radiol", year = 2005,
    volume = "35:539-542", doi = "10.1007/s00247-004-1363-9", cases = { "puvabanditsin2005_generalized" } },
  X113 = case { authors = "Sparks C, Ayala I, Towbin AJ, Towbin RB, Kucera J",
    title = "Iatrogenic neonatal calcinosis cutis", container = "Appl Radiol",
    url = "https://appliedradiology.com/?contentID=15291", note = "case summary; year not on the page read",
    cases = { "sparks_antecubital_gluconate" } },
  X114 = case { authors = "Chung EH, Kim YH",
    title = "Iatrogenic calcinosis cutis of the upper limb arising from the extravasation of intravenous " ..
      "anticancer drugs in a patient with acute lymphoblastic leukemia",
    container = "Arch Plast Surg", year = 2016, volume = "43(2):214-216", doi = "10.5999/aps.2016.43.2.214",
    cases = { "chung2016_anticancer_extravasation" } },
  X115 = case { authors = "Zaher FZ, Rafi S, Elmghari G, Elansari N",
    title = "Uncommon cutaneous manifestation of primary hyperparathyroidism", container = "Endocrine Abstracts",
    year = 2019, volume = "63:P499", doi = "10.1530/endoabs.63.P499", cases = { "zaher2019_phpt_elbows" } },
  X116 = case { authors = "Hamny I, Mendes M",
    title = "Calcinosis cutis as a rare manifestation of primary hyperparathyroidism: a case report",
    container = "Endocrine Abstracts", year = 2023, volume = "90:P317", doi = "10.1530/endoabs.90.P317",
    cases = { "hamny2023_phpt_vertex" } },
  X117 = case { authors = "Aristizabal-Alzate A, Nieto-Rios JF, Trujillo-Agudelo D, Cadavid-Aljure D, " ..
      "Serna-Higuita LM, Zuluaga-Valencia G",
    title = "Uremic tumoral calcinosis with atypical manifestation. Case report", container = "Nefrologia",
    year = 2022, volume = "42(2)",
    url = "https://revistanefrologia.com/en-uremic-tumoral-calcinosis-with-atypical-articulo-S2013251422000438",
    cases = { "aristizabal2022_uremic_tc_fingers" } },
  X118 = case { authors = "Shakiba M, Karimi A, Ghomi Z, Montazeri MS",
    title = "Hyperphosphatemic familial tumoral calcinosis (HFTC) in a one-year-old child: a case report and " ..
      "literature review",
    container = "Arch Pediatr Infect Dis", year = 2025, volume = "13(1):e150494", doi = "10.5812/apid-150494",
    cases = { "shakiba2025_hftc_infant" } },
  X119 = case { authors = "Rafaelsen S, Johansson S, Raeder H, Bjerknes R",
    title = "Long-term clinical outcome and phenotypic variability in hyperphosphatemic familial tumoral " ..
      "calcinosis and hyperphosphatemic hyperostosis syndrome caused by a novel GALNT3 mutation",
    container = "BMC Genet", year = 2014, volume = "15:98", doi = "10.1186/s12863-014-0098-3",
    cases = { "rafaelsen2014_hftc_brother" } },
  X120 = case { authors = "Deen J, Byrom L, Robertson I",
    title = "Calcinosis cutis associated with chronic sclerodermoid graft versus host disease: a case and review " ..
      "of the literature",
    container = "Case Rep Dermatol Med", year = 2020, volume = "2020:9250923", doi = "10.1155/2020/9250923",
    cases = { "deen2020_sclerodermoid_gvhd" } },
  X121 = case { authors = "Lipshutz GH, Chew FS",
    title = "Calcinosis cutis related to sclerodermatous chronic graft versus host disease",
    container = "Radiol Case Rep", year = 2008, volume = "3(4):242", doi = "10.2484/rcr.v3i4.242",
    cases = { "lipshutz2008_gvhd_aml" } },
  X122 = case { authors = "Conde K, Igue K, Awada M, Guelngar CO, Diallo MH, Dore M",
    title = "Cutaneous calcinosis in limited cutaneous systemic scleroderma: clinical case and review of " ..
      "therapeutic options",
    container = "J Med Case Rep Case Series", year = 2021, volume = "2(2)", doi = "10.38207/jmcrcs20210004",
    cases = { "conde2021_lcssc" } },
  X123 = case { authors = "Jecan CR, Bedereag SI, Sinescu RD, Grigorean VT, Cozma CN, Bordianu A, Florescu IP",
    title = "A case of a generalized symptomatic calcinosis in systemic sclerosis",
    container = "Rom J Morphol Embryol", year = 2016, volume = "57(2 Suppl):865-869",
    url = "https://licentiada.org/?p=613854", cases = { "jecan2016_crest_generalized" } },
  X124 = case { authors = "Gallego Sanchez JA, Garcia Gallego C, Hernandez Pena A, Roman Rodriguez A",
    title = "Juvenile dermatomyositis with universal calcinosis. Report of a case", container = "Revdosdic",
    year = 2024, volume = "7(3):e481", url = "https://revdosdic.sld.cu/index.php/revdosdic/article/view/481",
    cases = { "gallego2024_jdm_universalis" } },
  X125 = case { authors = "Kim et al.", title = "A rare case of calcinosis cutis: easily mistaken as a foreign body",
    container = "J Wound Manag Res", year = 2021, volume = "17(2)",
    url = "http://www.jwmr.org/journal/view.php?number=371", cases = { "kim2021_burn_dog_bite" } },
  X126 = case { authors = "Lopez AT, Grossman ME",
    title = "Facial calcinosis cutis in a patient with systemic lupus erythematosus: a case report of tissue " ..
      "injury owing to photosensitivity as the cause of dystrophic calcification",
    container = "JAAD Case Rep", year = 2017, volume = "3(5):460-463", doi = "10.1016/j.jdcr.2017.06.018",
    pmid = "28936472", cases = { "lopez2017_sle_preauricular" } },
  X127 = case { authors = "Kruszewska A et al.",
    title = "Dystrophic calcifications in case of a patient with systemic lupus erythematosus - case report " ..
      "and literature review",
    container = "Pol Ann Med", year = 2021, volume = "28(2):224-228",
    url = "http://paom.pl/Dystrophic-calcifications-in-case-of-a-patient-with-nsystemic-lupus-erythematosus," ..
      "132648,0,2.html",
    cases = { "kruszewska2021_sle_buttocks" } },
  X128 = case { authors = "Sousa FC, Figueiras M, Parente AR, Santos S, Miranda M, Teixeira M, Mendonca T",
    title = "Dystrophic calcinosis cutis associated with systemic lupus erythematosus: a case report",
    container = "Pan Afr Med J", year = 2021, volume = "40:258",
    url = "https://panafrican-med-journal.com//content/article/40/258/full", cases = { "sousa2021_sle_breast" } },
  X129 = case { authors = "Lin F, Guo S, Wu J, Liao Z, Liu P, Wang Y, Xie J",
    title = "Idiopathic calcinosis of scrotum: a case report and review of the literature", container = "Heliyon",
    year = 2022, volume = "8(9):e10762", doi = "10.1016/j.heliyon.2022.e10762", pmid = "36200019",
    cases = { "feng2022_scrotum" } },
  X130 = case { authors = "Tharanon W, Tang-on N, Cherthong S, Wannasai K",
    title = "Scrotal calcinosis: a comprehensive case report with literature review",
    container = "Int J Pathol Clin Res", year = 2024, volume = "10:151", doi = "10.23937/2469-5807/1510151",
    cases = { "tharanon2024_scrotum" } },
  X131 = case { authors = "Ye D, Ma X, Yang X", title = "Scrotal calcinosis: a case report and literature review",
    container = "Am J Clin Exp Urol", year = 2022, volume = "10(3):194-198", pmid = "35874290", pmc = "PMC9301062",
    cases = { "ye2022_scrotum" } },
  X132 = case { authors = "Akinboro AO, Onilede DA, Babatunde TO, Oiwoh SO, Suleiman OA, Olabode OP",
    title = "Idiopathic scrotal calcinosis: report of 2 cases, and review of pathogenesis and factors that " ..
      "determine patients' acceptance of surgical treatment",
    container = "Clin Cosmet Investig Dermatol", year = 2018, volume = "11:333-337", doi = "10.2147/CCID.S142101",
    cases = { "akinboro2018_scrotum" } },
  X133 = case { authors = "Choudhary S, Srivastava A, Pattebahadur R, Choudhary R",
    title = "Subepidermal calcified nodule (nodular calcinosis of Winer)", container = "BMJ Case Rep", year = 2023,
    volume = "16(7):e255461", doi = "10.1136/bcr-2023-255461", pmid = "37460248",
    cases = { "choudhary2023_scn_eyebrow" } },
  X134 = case { authors = "Zhu X, Zhang X, Yang K",
    title = "Diagnostic aid to subepidermal calcified nodule with dermoscopy and reflectance confocal " ..
      "microscopy: a case report",
    container = "BMC Pediatr", year = 2023, doi = "10.1186/s12887-023-03913-6", cases = { "zhu2023_scn_eyelid" } },
  X135 = case { authors = "Shenoi SD, Rao R, Srinivas CR, Balachandran C", title = "Subepidermal calcified nodule",
    container = "Indian J Dermatol Venereol Leprol", year = 1990, volume = "56:462-463",
    url = "http://www.ijdvl.com/text.asp?1990/56/6/462/3606", cases = { "shenoi1990_scn_nose" } },
  X136 = case { authors = "Jadhav G et al.",
    title = "Idiopathic calcinosis cutis of hip: a case report and review of literature",
    container = "Int J Recent Surg Med Sci", year = 2022, volume = "9(Suppl 1):S105-S108",
    doi = "10.1055/s-0042-1751233", cases = { "jadhav2022_hip" } },
  X137 = case { authors = "Tainwala R, Sharma YK, Gaur N", title = "Idiopathic calcinosis cutis of the penis",
    container = "Indian Dermatol Online J", year = 2010, volume = "1:36-38",
    url = "http://www.idoj.in/text.asp?2010/1/1/36/73258", cases = { "tainwala2010_penis" } },
  X138 = case { authors = "Holliday AC, Clos A, Kelly B", title = "Firm papules on the penis and scrotum",
    container = "Dermatol Online J", year = 2014, volume = "20(2):15",
    url = "http://escholarship.org/uc/item/7s43p5x8", cases = { "holliday2014_penis_scrotum" } },
  X139 = case { authors = "Vasili E, Doci X, Hysi K", title = "A rare case of disseminated idiopathic calcinosis cutis",
    container = "Cutis", year = 2013, volume = "91:291-294",
    url = "https://docslib.org/doc/11901916/a-rare-case-of-disseminated-idiopathic-calcinosis-cutis",
    cases = { "vasili2013_disseminated" } },
  X140 = case { authors = "Kumar P, Savant SS, Nimisha E, Das A, Debbarman P",
    title = "Milia-like idiopathic calcinosis cutis in a child with Down syndrome", container = "Dermatol Online J",
    year = 2016, volume = "22(5):9", doi = "10.5070/D3225030948", cases = { "kumar2016_micc_down" } },
  X141 = case { authors = "Jang SH, Lee Y, Yoon TY",
    title = "Milia-like idiopathic calcinosis cutis occurring in a toddler born as a premature baby",
    container = "Ann Dermatol", year = 2011, volume = "23(4)", url = "http://synapse.koreamed.org/articles/1045377",
    cases = { "jang2011_micc_premature" } },
  X142 = case { authors = "Sekhar JC, Jain A, Mishra S, Chopra A",
    title = "Congenital idiopathic calcinosis cutis with aplasia cutis congenita", container = "J Clin Neonatol",
    year = 2019, volume = "8:120-121", doi = "10.4103/jcn.JCN_67_18", cases = { "sekhar2019_congenital_aplasia" } },
  X143 = case { authors = "Muller A, Degorce-Rubiales F, Guaguere E",
    title = "Metastatic calcinosis (including calcinosis cutis) in a young dog with multiple urinary tract " ..
      "abnormalities",
    container = "Vet Dermatol", year = 2011, doi = "10.1111/j.1365-3164.2010.00919.x",
    cases = { "muller2011_dog_renal" } },
  X144 = case { authors = "Poppl AG, Buzin ML, Do Nascimento CC, Fisch J, Pereira LM, Lasta CS",
    title = "Generalized calcinosis cutis associated with prolonged glucocorticoid therapy for hemolytic anemia " ..
      "secondary to babesiosis in a Scottish terrier",
    container = "World Small Animal Veterinary Association World Congress Proceedings", year = 2009,
    url = "https://www.vin.com/apputil/content/defaultadv1.aspx?pId=11290&catId=33311&id=4252907",
    cases = { "poppl2009_dog_babesiosis_steroids" } },
  X145 = case { authors = "Immediato D",
    title = "Suspected calcinosis cutis and demodicosis, secondary to an exogenous steroid administration in a " ..
      "dog with hypoadrenocorticism",
    container = "Front Med Case Rep", year = 2020, volume = "1(1):1-11", doi = "10.47746/FMCR.2020.1107",
    cases = { "immediato2020_dog_exogenous_steroid" } },
  X146 = case { authors = "Munday JS, Bergen DJ, Roe WD",
    title = "Generalized calcinosis cutis associated with probable leptospirosis in a dog",
    container = "Vet Dermatol", year = 2005, volume = "16:401-406",
    url = "https://m.moam.info/generalized-calcinosis-cutis-associated-with-wiley-online-library_" ..
      "5ad9ae817f8b9a533c8b462b.html",
    cases = { "munday2005_dog_leptospirosis" } },
}

---------------------------------------------------------------------------
-- Seed documents

local SEEDS = {
  ["seed:000"] = seed { container = "Scleroderma News",
    description = "project seed document: patient-information page on calcinosis (causes, diagnosis, " ..
      "treatment) from the Scleroderma News website, a news and information site that states it gives no " ..
      "medical advice" },
  ["seed:001"] = seed { container = "Hidoc Dr.",
    description = "project seed document: general overview article on calcinosis (causes, symptoms, " ..
      "treatments) from the Hidoc Dr. medical news website", note = "page footer © 2025 Hidoc Dr. Inc." },
  ["seed:002"] = seed {
    description = "project seed document: question-and-answer compilation on calcinosis (causes, CREST, " ..
      "calcinosis circumscripta, lupus, metastatic calcification, dogs and Cushing's disease, iatrogenic " ..
      "calcification, specialists); no publisher or author is named in the text",
    note = "its canine steroid statement quotes dermvettacoma.com" },
  ["seed:003"] = seed { title = "How do you get calcinosis cutis?",
    description = "project seed document: health blog post (four types with causes, signs, treatment and " ..
      "surgery indications); author not named" },
  ["seed:004"] = seed { title = "Calcinosis cutis", container = "WikiMD", authors = "Prab R. Tumpati, MD (contributor)",
    description = "project seed document: WikiMD encyclopedia page (four types, symptoms, diagnosis, treatment)" },
}

---------------------------------------------------------------------------
-- Keys, order, lookup

local function parse_key(key)
  local letter, num, rest = key:match("^([SCX])(%d+)(.*)$")
  if letter then return ({ S = 1, C = 2, X = 3 })[letter], tonumber(num), rest end
  local n = key:match("^seed:(%d+)$")
  if n then return 4, tonumber(n), "" end
  return 5, 0, key
end

--- Orders two keys as the bibliography lists them: S keys, then C, X and
-- seed keys, each by number; a base key before its suffixed parts.
-- @tparam string a
-- @tparam string b
-- @treturn boolean a comes before b
function M.compare(a, b)
  local ga, na, ra = parse_key(a)
  local gb, nb, rb = parse_key(b)
  if ga ~= gb then return ga < gb end
  if na ~= nb then return na < nb end
  return ra < rb
end

--- Is a token shaped like a source key (`S12`, `S34-DHVD`, `C2`, `X101`,
-- `seed:002`)? Says nothing about whether it resolves (see `get`).
-- @tparam string token
-- @treturn boolean
function M.is_key(token)
  if type(token) ~= "string" then return false end
  return token:match("^[SCX]%d+[%w%-]*$") ~= nil or token:match("^seed:%d+$") ~= nil
end

local function add_all(t)
  for k, e in pairs(t) do
    e.key = k
    ENTRIES[k] = e
  end
end
add_all(S)
add_all(C)
add_all(X)
add_all(SEEDS)
for k, p in pairs(PARTS) do
  local base = k:match("^([SCX]%d+)")
  local e = copy(ENTRIES[base])
  for f, v in pairs(p) do
    if v == false then e[f] = nil else e[f] = v end
  end
  e.key, e.base = k, base
  ENTRIES[k] = e
end
for k in pairs(ENTRIES) do ORDER[#ORDER + 1] = k end
table.sort(ORDER, M.compare)

---------------------------------------------------------------------------
-- Formatting

local function ends_sentence(s) return s:match("[%.%?!]$") ~= nil end
local function sentence(s) return ends_sentence(s) and s or s .. "." end

local function is_http(u) return u:match("^https?://") ~= nil end

local function source_line(e)
  local c = e.container
  local y = e.year and tostring(e.year) or nil
  local v = e.volume
  local out
  if c and (e.kind == "article" or e.kind == "case report" or e.kind == "guideline") and y then
    out = c .. " " .. y .. (v and ";" .. v or "")
  else
    local parts = {}
    if c then parts[#parts + 1] = c end
    if e.publisher then parts[#parts + 1] = e.publisher end
    if e.date then parts[#parts + 1] = e.date elseif y then parts[#parts + 1] = y end
    if v then parts[#parts + 1] = v end
    if #parts > 0 then out = table.concat(parts, ", ") end
    return out
  end
  if e.publisher then out = out .. " (" .. e.publisher .. ")" end
  return out
end

local function ids(e, md)
  local out = {}
  if e.doi then
    out[#out + 1] = md and ("doi:[%s](https://doi.org/%s)"):format(e.doi, e.doi) or "doi:" .. e.doi
  end
  if e.pmid then
    out[#out + 1] = md and ("PMID [%s](https://pubmed.ncbi.nlm.nih.gov/%s/)"):format(e.pmid, e.pmid)
      or "PMID " .. e.pmid
  end
  if e.pmc then
    out[#out + 1] = md and ("[%s](https://www.ncbi.nlm.nih.gov/pmc/articles/%s/)"):format(e.pmc, e.pmc) or e.pmc
  end
  if e.url then
    if md then out[#out + 1] = is_http(e.url) and "<" .. e.url .. ">" or "`" .. e.url .. "`"
    else out[#out + 1] = e.url end
  end
  return out
end

local function md_escape(s)
  return (s:gsub("([%*_`])", "\\%1"))
end

--- Formats an entry (or a key) as one reference.
-- @tparam table|string entry an entry of `get`, or a key
-- @tparam[opt] string style "text" (default) or "markdown" (the key in
--   bold, the journal in italics, DOI, PMID and PMCID as links)
-- @treturn string|nil the reference, nil for a key that does not resolve
function M.format(entry, style)
  if type(entry) == "string" then entry = M.get(entry) end
  if type(entry) ~= "table" then return nil end
  local md = style == "markdown"
  if style ~= nil and style ~= "text" and not md then
    error(("sources.format: unknown style '%s' (text or markdown)"):format(tostring(style)), 2)
  end
  local esc = md and md_escape or function(s) return s end
  local segs = {}
  if entry.authors then segs[#segs + 1] = sentence(esc(entry.authors)) end
  if entry.title then
    segs[#segs + 1] = sentence(esc(entry.title))
    if entry.description and entry.kind == "project seed document" then
      segs[#segs + 1] = sentence(esc(entry.description:sub(1, 1):upper() .. entry.description:sub(2)))
    end
  elseif entry.description then
    segs[#segs + 1] = sentence(esc(entry.description:sub(1, 1):upper() .. entry.description:sub(2)))
  end
  local src = source_line(entry)
  if src then
    local stop = ends_sentence(src) and "" or "."
    if md and entry.container and src:sub(1, #entry.container) == entry.container then
      src = "*" .. esc(entry.container) .. "*" .. esc(src:sub(#entry.container + 1))
    else
      src = esc(src)
    end
    segs[#segs + 1] = src .. stop
  end
  local id = ids(entry, md)
  if #id > 0 then segs[#segs + 1] = sentence(table.concat(id, "; ")) end
  local notes = {}
  if entry.part then notes[#notes + 1] = esc(entry.part) end
  if entry.note then notes[#notes + 1] = esc(entry.note) end
  if entry.incomplete then notes[#notes + 1] = "full reference not recorded" end
  if #notes > 0 then segs[#segs + 1] = "(" .. table.concat(notes, "; ") .. ")" end
  local text = table.concat(segs, " ")
  if md then return ("**%s** — %s"):format(entry.key, text) end
  return text
end

for _, k in ipairs(ORDER) do ENTRIES[k].citation = M.format(ENTRIES[k], "text") end

---------------------------------------------------------------------------
-- Lookup

--- The entry of a key, or nil. Accepts the key as cited: with brackets
-- (`"[S34]"`), with a suffix (`"S34-DHVD"`, `"S25-full case"`: the part's
-- own entry when registered, else the base entry with the suffix as its
-- `part`), and seed numbers without leading zeros (`"seed:2"`).
-- @tparam string key
-- @treturn table|nil entry (a shared table: do not change it)
function M.get(key)
  if type(key) ~= "string" then return nil end
  key = key:match("^%s*%[?%s*(.-)%s*%]?%s*$")
  local e = ENTRIES[key]
  if e then return e end
  local n = key:match("^seed:(%d+)$")
  if n then return ENTRIES[("seed:%03d"):format(tonumber(n))] end
  local base, suffix = key:match("^([SCX]%d+%a?)[%-%s]+(%S.*)$")
  if not base then return nil end
  local b = ENTRIES[base]
  if not b or b.base then return nil end
  e = copy(b)
  e.key, e.base, e.part = key, base, suffix
  e.citation = M.format(e, "text")
  return e
end

--- The keys a source text cites: bracketed keys (`[S1][S25-full case]`,
-- the whole bracket is the key) and, outside brackets, tokens shaped like
-- keys (`S1 S2`, `seed:002`); other words ("Mayo ALP") are not keys. In the
-- order of first appearance, without repeats.
-- @tparam string|table text a text, or a list of texts (e.g. a `sources` list)
-- @treturn table list of key strings
function M.keys_in(text)
  local out, seen = {}, {}
  local function add(k)
    if not seen[k] then seen[k] = true; out[#out + 1] = k end
  end
  local function words(s)
    for tok in s:gmatch("[^%s,;()]+") do
      if M.is_key(tok) then add(tok) end
    end
  end
  local function scan(s)
    s = tostring(s)
    local pos = 1
    while true do
      local b, e, inner = s:find("%[([^%[%]\n]+)%]", pos)
      if not b then break end
      words(s:sub(pos, b - 1))
      inner = inner:match("^%s*(.-)%s*$")
      if inner:match("^[SCX]%d") or inner:match("^seed:%d") then add(inner) end
      pos = e + 1
    end
    words(s:sub(pos))
  end
  if type(text) == "table" then
    for _, s in ipairs(text) do scan(s) end
  elseif text ~= nil then
    scan(text)
  end
  return out
end

--- Resolves the keys a source text cites (see `keys_in`) to their entries.
-- @tparam string|table text e.g. `"S1 S2 [S34]"`, `"Mayo ALP [S34]"` or `{ "S1", "S2-tx" }`
-- @treturn table list of entries, in the order cited, without repeats
-- @treturn table list of the cited keys that do not resolve
function M.resolve(text)
  local entries, missing, seen = {}, {}, {}
  for _, k in ipairs(M.keys_in(text)) do
    local e = M.get(k)
    if e then
      if not seen[e.key] then seen[e.key] = true; entries[#entries + 1] = e end
    else
      missing[#missing + 1] = k
    end
  end
  return entries, missing
end

--- Every key of the bibliography, in its order (see `compare`): the base
-- keys and the registered parts (`S2-tx`, `S34-DHVD`, ...).
-- @treturn table list of keys
function M.keys()
  local out = {}
  for i, k in ipairs(ORDER) do out[i] = k end
  return out
end

---------------------------------------------------------------------------
-- The bibliography as a document

local GROUPS = {
  { title = "Sources", group = 1,
    intro = "The literature, guidelines, laboratory catalogues and web pages the clinical reference was " ..
      "written from. Most were read as excerpts (search-index passages), not complete documents; the notes " ..
      "say what was read." },
  { title = "Published case reports cited for one fact (C and X keys)", group = 2,
    intro = "Cited for the fact described; their full references were not recorded with the facts, so the " ..
      "entries are marked \"full reference not recorded\" rather than given a guessed reference." },
  { title = "Published cases of the case set (spec/cases)", group = 3,
    intro = "The published calcinosis cutis cases that spec/cases_spec.lua classifies (X101 ...), and case " ..
      "reports the default ruleset cites whose references were not recorded." },
  { title = "Seed documents", group = 4,
    intro = "The public web pages about calcinosis cutis the project started from." },
}

local function group_of(key)
  local g, n = parse_key(key)
  if g == 3 and n < 100 then return 2 end
  if g == 2 then return 2 end
  if g == 1 then return 1 end
  if g == 3 then return 3 end
  return 4
end

--- The bibliography as a Markdown section: every entry of `keys`, grouped
-- (sources, case reports cited for one fact, the published cases, seed
-- documents). docs/clinical-reference.md ends with it; regenerate it there
-- with `lua5.4 lua/calcinosis/sources.lua docs/clinical-reference.md`.
-- @tparam[opt] string heading the Markdown heading prefix (default "###")
-- @treturn string
function M.bibliography(heading)
  heading = heading or "###"
  local lines = {}
  for _, g in ipairs(GROUPS) do
    lines[#lines + 1] = heading .. " " .. g.title
    lines[#lines + 1] = ""
    lines[#lines + 1] = g.intro
    lines[#lines + 1] = ""
    for _, k in ipairs(ORDER) do
      if group_of(k) == g.group then
        local e = ENTRIES[k]
        if e.base and not PARTS[k].title then
          -- a part of an entry listed just above: the part only
          lines[#lines + 1] = ("- **%s** — part of %s: %s."):format(k, e.base, md_escape(e.part))
        else
          lines[#lines + 1] = "- " .. M.format(e, "markdown")
        end
      end
    end
    lines[#lines + 1] = ""
  end
  return table.concat(lines, "\n")
end

--- The markers between which docs/clinical-reference.md holds `bibliography()`.
M.BIBLIOGRAPHY_BEGIN = "<!-- bibliography: generated by calcinosis.sources; do not edit by hand -->"
M.BIBLIOGRAPHY_END = "<!-- end of bibliography -->"

--- Replaces the text between the bibliography markers of a document with
-- `bibliography()`.
-- @tparam string doc the document's text
-- @treturn string|nil the new text
-- @treturn[2] string message when the markers are missing
function M.update_document(doc)
  local b = doc:find(M.BIBLIOGRAPHY_BEGIN, 1, true)
  local e = doc:find(M.BIBLIOGRAPHY_END, 1, true)
  if not b or not e or e < b then return nil, "the bibliography markers are missing" end
  return doc:sub(1, b + #M.BIBLIOGRAPHY_BEGIN - 1) .. "\n\n" .. M.bibliography() .. doc:sub(e)
end

-- Run as a script (lua5.4 lua/calcinosis/sources.lua FILE): rewrites the
-- bibliography of FILE (default docs/clinical-reference.md).
if ... ~= "calcinosis.sources" and arg and arg[0] and arg[0]:match("sources%.lua$") then
  local path = arg[1] or "docs/clinical-reference.md"
  local f = assert(io.open(path, "rb"))
  local doc = f:read("*a")
  f:close()
  local new = assert(M.update_document(doc))
  f = assert(io.open(path, "wb"))
  f:write(new)
  f:close()
  io.stderr:write("wrote the bibliography of " .. path .. "\n")
end

return M
