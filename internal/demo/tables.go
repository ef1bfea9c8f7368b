package demo

import "strings"

// The tables the generator draws from. They are package-level for
// readability but never modified; the exported views return copies.

// Municipality is one real Catalan municipality the demo citizens live in.
// Its census office ("Ajuntament de Girona") issues census credentials as the
// administration "ajuntament-" + Slug.
type Municipality struct {
	Name        string   // official name: "Sant Cugat del Vallès"
	Slug        string   // "sant-cugat-del-valles"
	Province    string   // Barcelona, Girona, Lleida or Tarragona
	PostalCodes []string // real codes of the municipality (prefix 08, 17, 25 or 43)
	weight      int      // relative share of demo citizens (roughly the square root of the population)
}

// Ajuntament is the official name of the municipality's town council, the
// issuer of its census credentials ("Ajuntament de Girona", "Ajuntament
// d'Igualada", "Ajuntament de l'Hospitalet de Llobregat").
func (m Municipality) Ajuntament() string {
	name := m.Name
	for _, article := range []string{"La ", "El ", "L'"} {
		if rest, ok := strings.CutPrefix(name, article); ok {
			return "Ajuntament de " + strings.ToLower(article) + rest
		}
	}
	if strings.ContainsRune("AEIOUÀÈÉÍÒÓÚ", []rune(name)[0]) {
		return "Ajuntament d'" + name
	}
	return "Ajuntament de " + name
}

var municipalities = []Municipality{
	{"Barcelona", "barcelona", "Barcelona", []string{"08001", "08002", "08003", "08005", "08007", "08008", "08010", "08011", "08012", "08013", "08014", "08015", "08017", "08018", "08019", "08020", "08021", "08022", "08023", "08024", "08025", "08026", "08027", "08028", "08029", "08030", "08031", "08032", "08036", "08037", "08038", "08041"}, 40},
	{"L'Hospitalet de Llobregat", "l-hospitalet-de-llobregat", "Barcelona", []string{"08901", "08902", "08903", "08904", "08905", "08906", "08907", "08908"}, 16},
	{"Badalona", "badalona", "Barcelona", []string{"08911", "08912", "08913", "08914", "08915", "08916", "08917", "08918"}, 15},
	{"Terrassa", "terrassa", "Barcelona", []string{"08221", "08222", "08223", "08224", "08225", "08226", "08227", "08228"}, 15},
	{"Sabadell", "sabadell", "Barcelona", []string{"08201", "08202", "08203", "08204", "08205", "08206", "08207", "08208"}, 15},
	{"Mataró", "mataro", "Barcelona", []string{"08301", "08302", "08303", "08304"}, 11},
	{"Sant Cugat del Vallès", "sant-cugat-del-valles", "Barcelona", []string{"08172", "08173", "08174"}, 10},
	{"Cornellà de Llobregat", "cornella-de-llobregat", "Barcelona", []string{"08940"}, 9},
	{"Granollers", "granollers", "Barcelona", []string{"08400", "08401", "08402"}, 8},
	{"Manresa", "manresa", "Barcelona", []string{"08240", "08241", "08242", "08243"}, 9},
	{"Vic", "vic", "Barcelona", []string{"08500"}, 7},
	{"Igualada", "igualada", "Barcelona", []string{"08700"}, 6},
	{"Vilanova i la Geltrú", "vilanova-i-la-geltru", "Barcelona", []string{"08800"}, 8},
	{"Girona", "girona", "Girona", []string{"17001", "17002", "17003", "17004", "17005", "17006", "17007"}, 10},
	{"Figueres", "figueres", "Girona", []string{"17600"}, 7},
	{"Olot", "olot", "Girona", []string{"17800"}, 6},
	{"Salt", "salt", "Girona", []string{"17190"}, 6},
	{"Blanes", "blanes", "Girona", []string{"17300"}, 6},
	{"Banyoles", "banyoles", "Girona", []string{"17820"}, 5},
	{"Lleida", "lleida", "Lleida", []string{"25001", "25002", "25003", "25004", "25005", "25006", "25007", "25008"}, 12},
	{"Balaguer", "balaguer", "Lleida", []string{"25600"}, 4},
	{"La Seu d'Urgell", "la-seu-d-urgell", "Lleida", []string{"25700"}, 4},
	{"Tàrrega", "tarrega", "Lleida", []string{"25300"}, 4},
	{"Mollerussa", "mollerussa", "Lleida", []string{"25230"}, 4},
	{"Tarragona", "tarragona", "Tarragona", []string{"43001", "43002", "43003", "43004", "43005", "43006", "43007", "43008"}, 12},
	{"Reus", "reus", "Tarragona", []string{"43201", "43202", "43203", "43204", "43205", "43206"}, 10},
	{"Tortosa", "tortosa", "Tarragona", []string{"43500"}, 6},
	{"Amposta", "amposta", "Tarragona", []string{"43870"}, 5},
	{"Valls", "valls", "Tarragona", []string{"43800"}, 5},
	{"Cambrils", "cambrils", "Tarragona", []string{"43850"}, 6},
}

// University is a Catalan public university that awards the demo degrees.
// It issues degree credentials as the administration Slug.
type University struct {
	Slug string // "udg"
	Name string // official Catalan name: "Universitat de Girona"
}

var universities = []University{
	{"ub", "Universitat de Barcelona"},
	{"uab", "Universitat Autònoma de Barcelona"},
	{"upc", "Universitat Politècnica de Catalunya"},
	{"upf", "Universitat Pompeu Fabra"},
	{"udg", "Universitat de Girona"},
	{"udl", "Universitat de Lleida"},
	{"urv", "Universitat Rovira i Virgili"},
	{"uoc", "Universitat Oberta de Catalunya"},
}

// programme is a degree some of the universities teach: its Bologna title
// (awarded from 2012) and the pre-Bologna title that preceded it.
type programme struct {
	grau, old string
	ects      int // of the grau; the old title is listed with its ECTS equivalence
	oldECTS   int
	at        []string // university slugs
}

var programmes = []programme{
	{"Grau en Infermeria", "Diplomatura en Infermeria", 240, 180, []string{"ub", "uab", "udg", "udl", "urv"}},
	{"Grau en Medicina", "Llicenciatura en Medicina i Cirurgia", 360, 360, []string{"ub", "uab", "udg", "udl", "urv"}},
	{"Grau en Dret", "Llicenciatura en Dret", 240, 300, []string{"ub", "uab", "upf", "udg", "udl", "urv", "uoc"}},
	{"Grau en Administració i Direcció d'Empreses", "Llicenciatura en Administració i Direcció d'Empreses", 240, 300, []string{"ub", "uab", "upf", "udg", "udl", "urv", "uoc"}},
	{"Grau en Psicologia", "Llicenciatura en Psicologia", 240, 300, []string{"ub", "uab", "udg", "urv", "uoc"}},
	{"Grau en Mestre d'Educació Primària", "Diplomatura en Mestre d'Educació Primària", 240, 180, []string{"ub", "uab", "udg", "udl", "urv"}},
	{"Grau en Enginyeria Informàtica", "Enginyeria en Informàtica", 240, 300, []string{"upc", "uab", "udg", "udl", "urv", "uoc"}},
	{"Grau en Enginyeria en Tecnologies Industrials", "Enginyeria Industrial", 240, 300, []string{"upc", "udg", "urv"}},
	{"Grau en Estudis d'Arquitectura", "Arquitectura", 300, 300, []string{"upc"}},
	{"Grau en Economia", "Llicenciatura en Economia", 240, 300, []string{"ub", "uab", "upf", "urv"}},
	{"Grau en Periodisme", "Llicenciatura en Periodisme", 240, 300, []string{"uab", "upf", "urv"}},
	{"Grau en Biologia", "Llicenciatura en Biologia", 240, 300, []string{"ub", "uab", "udg"}},
	{"Grau en Química", "Llicenciatura en Química", 240, 300, []string{"ub", "uab", "udg", "urv"}},
	{"Grau en Treball Social", "Diplomatura en Treball Social", 240, 180, []string{"ub", "udg", "udl", "urv"}},
	{"Grau en Educació Social", "Diplomatura en Educació Social", 240, 180, []string{"ub", "udg", "udl", "urv", "uoc"}},
	{"Grau en Història", "Llicenciatura en Història", 240, 300, []string{"ub", "uab", "udg", "udl", "urv"}},
	{"Grau en Llengua i Literatura Catalanes", "Llicenciatura en Filologia Catalana", 240, 300, []string{"ub", "uab", "udg", "udl", "urv"}},
	{"Grau en Fisioteràpia", "Diplomatura en Fisioteràpia", 240, 180, []string{"udg", "udl", "urv"}},
	{"Grau en Turisme", "Diplomatura en Turisme", 240, 180, []string{"udg", "urv", "uoc"}},
	{"Grau en Enginyeria Agrària i Alimentària", "Enginyeria Agrònoma", 240, 300, []string{"udl"}},
	{"Grau en Farmàcia", "Llicenciatura en Farmàcia", 300, 300, []string{"ub"}},
	{"Grau en Veterinària", "Llicenciatura en Veterinària", 300, 300, []string{"uab"}},
	{"Grau en Enologia", "Llicenciatura en Enologia", 240, 300, []string{"urv"}},
	{"Grau en Ciència Política i Gestió Pública", "Llicenciatura en Ciències Polítiques i de l'Administració", 240, 300, []string{"uab", "upf"}},
}

// masters are second degrees some graduates add (60-90 ECTS, any university
// of the list teaching the field; the generator picks among all).
var masters = []struct {
	title string
	ects  int
}{
	{"Màster Universitari en Formació del Professorat d'Educació Secundària Obligatòria i Batxillerat, Formació Professional i Ensenyament d'Idiomes", 60},
	{"Màster Universitari en Advocacia", 90},
	{"Màster Universitari en Enginyeria Informàtica", 90},
	{"Màster Universitari en Psicologia General Sanitària", 90},
	{"Màster Universitari en Gestió de Recursos Humans", 60},
}

var (
	femaleNames = []string{"Laia", "Júlia", "Martina", "Maria", "Marta", "Anna", "Núria", "Montserrat", "Mireia", "Laura", "Paula", "Carla", "Clàudia", "Aina", "Berta", "Queralt", "Roser", "Mercè", "Neus", "Gemma", "Sílvia", "Elisabet", "Cristina", "Raquel", "Alba", "Emma", "Jana", "Ona", "Abril", "Carme", "Dolors", "Rosa", "Teresa", "Pilar", "Isabel", "Lucía", "Sara", "Irene", "Judit", "Ariadna", "Meritxell", "Eulàlia", "Glòria", "Helena", "Cristina", "Noemí"}
	maleNames   = []string{"Jordi", "Marc", "Pau", "Pol", "Arnau", "Oriol", "Joan", "Josep", "Jaume", "Pere", "Xavier", "Albert", "David", "Sergi", "Àlex", "Eric", "Nil", "Biel", "Roger", "Guillem", "Gerard", "Ferran", "Joel", "Quim", "Ramon", "Manel", "Antoni", "Francesc", "Lluís", "Enric", "Carles", "Daniel", "Javier", "Miguel", "José", "Antonio", "Manuel", "Alejandro", "Hugo", "Martí", "Bernat", "Adrià", "Isaac", "Víctor"}

	catalanSurnames = []string{"Puig", "Vila", "Serra", "Soler", "Ferrer", "Font", "Casals", "Vidal", "Roca", "Pujol", "Riera", "Costa", "Bosch", "Sala", "Camps", "Coll", "Mas", "Prat", "Roig", "Rovira", "Pons", "Torrent", "Batlle", "Bonet", "Sabaté", "Figueras", "Canals", "Capdevila", "Castells", "Vilaseca", "Oliveras", "Planas", "Solé", "Tarrés", "Comas", "Grau", "Farré", "Busquets", "Mestres", "Pla", "Valls", "Gispert", "Brunet", "Ribas", "Vives", "Martí", "Giralt", "Sunyer"}
	spanishSurnames = []string{"Garcia", "Martínez", "López", "Sánchez", "Rodríguez", "Fernández", "Pérez", "González", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Navarro", "Torres", "Domínguez", "Ramos", "Gil", "Serrano", "Molina", "Ortega", "Delgado", "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Núñez", "Iglesias", "Medina", "Garrido", "Cortés", "Castillo", "Lozano", "Guerrero"}
)

// origin is a group of foreign residents: given names, surnames, and
// whether they customarily carry two surnames.
type origin struct {
	female, male, surnames []string
	twoSurnames            bool
	weight                 int
}

var origins = []origin{
	{[]string{"Fatima", "Khadija", "Amina", "Salma", "Naima", "Hanane", "Soukaina"}, []string{"Mohamed", "Youssef", "Ahmed", "Hamza", "Said", "Karim", "Rachid", "Omar"}, []string{"El Amrani", "Benali", "El Idrissi", "Bouzid", "Haddad", "Ouali", "Chakir", "Tahiri", "El Khattabi", "Aziz"}, false, 28},
	{[]string{"Ioana", "Elena", "Andreea", "Mihaela", "Cristina"}, []string{"Andrei", "Mihai", "Alexandru", "Ionuț", "Florin"}, []string{"Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Munteanu", "Constantin"}, false, 12},
	{[]string{"Camila", "Valentina", "Sofía", "Daniela", "Gabriela", "Luisa Fernanda"}, []string{"Santiago", "Mateo", "Juan Carlos", "Andrés", "Luis", "Diego"}, []string{"Vargas", "Quispe", "Herrera", "Cárdenas", "Rojas", "Mendoza", "Zambrano", "Castañeda", "Salazar"}, true, 26},
	{[]string{"Giulia", "Chiara", "Francesca", "Sara"}, []string{"Marco", "Francesco", "Luca", "Matteo"}, []string{"Rossi", "Russo", "Bianchi", "Romano", "Ferrari", "Esposito"}, false, 10},
	{[]string{"Ayesha", "Fatima", "Sana"}, []string{"Muhammad", "Ali", "Bilal", "Usman", "Imran"}, []string{"Khan", "Hussain", "Iqbal", "Butt", "Ahmed"}, false, 9},
	{[]string{"Li Na", "Mei", "Xiaoling", "Yan"}, []string{"Wei", "Jun", "Hao", "Ming"}, []string{"Wang", "Li", "Zhang", "Chen", "Liu", "Zhou"}, false, 8},
	{[]string{"Olena", "Iryna", "Natalia", "Oksana"}, []string{"Oleksandr", "Andrii", "Serhii", "Dmytro"}, []string{"Kovalenko", "Shevchenko", "Bondarenko", "Melnyk", "Tkachenko"}, false, 7},
}

// Street names found in most Catalan towns.
var streets = []string{
	"Carrer Major", "Carrer Nou", "Carrer de Sant Joan", "Carrer de Sant Pere", "Carrer de Sant Antoni",
	"Carrer de l'Església", "Carrer del Mercat", "Carrer de la Indústria", "Carrer de Jacint Verdaguer",
	"Carrer d'Àngel Guimerà", "Carrer de Pompeu Fabra", "Carrer de Prat de la Riba", "Carrer de Francesc Macià",
	"Carrer de Lluís Companys", "Carrer de Joan Maragall", "Carrer de Santiago Rusiñol", "Carrer del Sol",
	"Carrer de la Mercè", "Carrer de Mossèn Cinto", "Carrer de les Flors", "Carrer del Progrés",
	"Avinguda de Catalunya", "Avinguda de la Generalitat", "Avinguda de Pau Casals", "Avinguda de Josep Tarradellas",
	"Avinguda de Montserrat", "Passeig de la Rambla", "Rambla de Sant Jordi", "Plaça Major", "Plaça de la Vila",
	"Plaça de l'Ajuntament", "Ronda de Sant Francesc",
}

// Synthetic employers (no real company is meant; their CIFs are generated
// with valid control characters and registered nowhere).
var companies = []string{
	"Transports Vallès SL", "Construccions Pirineu SA", "Distribucions Empordà SL", "Gràfiques Montseny SL",
	"Assessoria Pujol i Associats SL", "Restaurant La Masia del Pla SL", "Fusteria Germans Serra SL",
	"Metal·lúrgica del Bages SA", "Serveis de Neteja Llevant SL", "Logística Penedès SL", "Fruites Segrià SCCL",
	"Clínica Dental Sant Jordi SLP", "Instal·lacions Elèctriques Camp de Tarragona SL", "Botiga Verda Cooperativa SCCL",
	"Hotel Costa Daurada SL", "Tèxtil Anoia SA", "Consultoria Digital Maresme SL", "Escola Bressol El Follet SL",
	"Supermercats Comarcals SA", "Agència de Viatges Rumb SL", "Tallers Mecànics Noguera SL", "Càrnies Osona SA",
	"Farmàcia Vidal Costa SL", "Acadèmia d'Idiomes Babel SL",
}

// Real public employers: their tax ids are left out rather than invented.
var (
	regionalEmployers = []string{"Departament d'Educació de la Generalitat de Catalunya", "Institut Català de la Salut"}
	hospitals         = map[string]string{
		"Barcelona": "Hospital Universitari de Bellvitge",
		"Girona":    "Hospital Universitari de Girona Doctor Josep Trueta",
		"Lleida":    "Hospital Universitari Arnau de Vilanova de Lleida",
		"Tarragona": "Hospital Universitari Joan XXIII de Tarragona",
	}
)

// Self-employed activities (the working life names the activity).
var trades = []string{
	"Activitat per compte propi: fusteria", "Activitat per compte propi: perruqueria",
	"Activitat per compte propi: assessorament fiscal", "Activitat per compte propi: fisioteràpia",
	"Activitat per compte propi: comerç al detall", "Activitat per compte propi: transport de mercaderies",
	"Activitat per compte propi: disseny gràfic", "Activitat per compte propi: explotació agrària",
}

// Taxes managed by the Agència Tributària de Catalunya.
var taxObligations = []string{
	"Impost sobre successions i donacions",
	"Impost sobre transmissions patrimonials i actes jurídics documentats",
	"Impost sobre les emissions de diòxid de carboni dels vehicles de tracció mecànica",
	"Taxes i preus públics de la Generalitat",
}

var debts = []string{
	"Liquidació de l'Impost sobre transmissions patrimonials pendent de pagament (%s €)",
	"Autoliquidació de l'Impost sobre successions en període executiu (%s €)",
	"Impost sobre les emissions de CO₂ dels vehicles de l'exercici anterior no pagat (%s €)",
	"Taxa de la Generalitat impagada amb constrenyiment (%s €)",
}

// Municipalities returns the municipalities the demo citizens live in.
func Municipalities() []Municipality {
	out := make([]Municipality, len(municipalities))
	for i, m := range municipalities {
		m.PostalCodes = append([]string(nil), m.PostalCodes...)
		out[i] = m
	}
	return out
}

// Universities returns the universities that award the demo degrees.
func Universities() []University { return append([]University(nil), universities...) }
