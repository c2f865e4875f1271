/**
 * Sandbox citizens — fictional Vietnamese citizens whose 12-digit personal id numbers follow Circular
 * 07/2016/TT-BCA Art. 7 (3-digit province of birth registration, 1 digit for sex and century, 2 digits
 * of birth year, 6 random digits), and CCCD validity per the Law on Citizen Identification 2014 Art. 21
 * (cards are renewed at ages 25, 40 and 60; a card issued within 2 years before one of those ages is
 * valid until the next one; a card issued from 58 on has no expiry).
 *
 * Every name, number and address here is invented for testing.
 */
import { ChipIdError } from '../errors.ts';
import type { SandboxRandom } from './random.ts';

/** A citizen as the chip's DG1/DG13 and the registry describe them. */
export interface Citizen {
  /** 12-digit personal id number (số định danh cá nhân). */
  idNumber: string;
  /** Full name with diacritics, surname first (`Nguyễn Văn An`). */
  fullName: string;
  /** `YYYY-MM-DD`. */
  birthDate: string;
  sex: 'M' | 'F';
  /** Dân tộc, e.g. `Kinh`. */
  ethnicity: string;
  /** Tôn giáo, `Không` when none. */
  religion: string;
  /** Quê quán. */
  placeOfOrigin: string;
  /** Nơi thường trú. */
  placeOfResidence: string;
  /** Đặc điểm nhận dạng. */
  identifyingMarks: string;
  fatherName: string;
  motherName: string;
  spouseName?: string;
  /** Previous 9-digit CMND number (DG13 field 16), when the citizen had one. */
  oldIdNumber?: string;
}

/** One physical card. */
export interface Card {
  /** 9-character MRZ document number (CCCD: last 9 digits of the id number). */
  documentNumber: string;
  /** `YYYY-MM-DD`. */
  issuedOn: string;
  /** `YYYY-MM-DD`. */
  expiresOn: string;
}

/** Province codes of birth registration (Circular 07/2016/TT-BCA Annex; the 63 provinces before 2025). */
export const PROVINCES = {
  '001': 'Hà Nội',
  '002': 'Hà Giang',
  '004': 'Cao Bằng',
  '006': 'Bắc Kạn',
  '008': 'Tuyên Quang',
  '010': 'Lào Cai',
  '011': 'Điện Biên',
  '012': 'Lai Châu',
  '014': 'Sơn La',
  '015': 'Yên Bái',
  '017': 'Hòa Bình',
  '019': 'Thái Nguyên',
  '020': 'Lạng Sơn',
  '022': 'Quảng Ninh',
  '024': 'Bắc Giang',
  '025': 'Phú Thọ',
  '026': 'Vĩnh Phúc',
  '027': 'Bắc Ninh',
  '030': 'Hải Dương',
  '031': 'Hải Phòng',
  '033': 'Hưng Yên',
  '034': 'Thái Bình',
  '035': 'Hà Nam',
  '036': 'Nam Định',
  '037': 'Ninh Bình',
  '038': 'Thanh Hóa',
  '040': 'Nghệ An',
  '042': 'Hà Tĩnh',
  '044': 'Quảng Bình',
  '045': 'Quảng Trị',
  '046': 'Thừa Thiên Huế',
  '048': 'Đà Nẵng',
  '049': 'Quảng Nam',
  '051': 'Quảng Ngãi',
  '052': 'Bình Định',
  '054': 'Phú Yên',
  '056': 'Khánh Hòa',
  '058': 'Ninh Thuận',
  '060': 'Bình Thuận',
  '062': 'Kon Tum',
  '064': 'Gia Lai',
  '066': 'Đắk Lắk',
  '067': 'Đắk Nông',
  '068': 'Lâm Đồng',
  '070': 'Bình Phước',
  '072': 'Tây Ninh',
  '074': 'Bình Dương',
  '075': 'Đồng Nai',
  '077': 'Bà Rịa - Vũng Tàu',
  '079': 'Hồ Chí Minh',
  '080': 'Long An',
  '082': 'Tiền Giang',
  '083': 'Bến Tre',
  '084': 'Trà Vinh',
  '086': 'Vĩnh Long',
  '087': 'Đồng Tháp',
  '089': 'An Giang',
  '091': 'Kiên Giang',
  '092': 'Cần Thơ',
  '093': 'Hậu Giang',
  '094': 'Sóc Trăng',
  '095': 'Bạc Liêu',
  '096': 'Cà Mau',
} as const;

export type ProvinceCode = keyof typeof PROVINCES;

const PROVINCE_PREFIX: Partial<Record<ProvinceCode, string>> = {
  '001': 'TP. ',
  '031': 'TP. ',
  '048': 'TP. ',
  '079': 'TP. ',
  '092': 'TP. ',
};

/** Display name of a province as printed in addresses (`TP. Hà Nội`, `Nghệ An`). */
export function provinceName(code: ProvinceCode): string {
  return `${PROVINCE_PREFIX[code] ?? ''}${PROVINCES[code]}`;
}

/** Sex-and-century digit (Circular 07/2016 Art. 7(2)): 0/1 for 1900s, 2/3 for 2000s, … (even = male). */
export function sexCenturyDigit(sex: 'M' | 'F', birthYear: number): number {
  const century = Math.floor(birthYear / 100) - 19;
  if (century < 0 || century > 4)
    throw new ChipIdError('ERR_CCCD_ID_INVALID', 'cccd: birth year outside 1900–2399');
  return century * 2 + (sex === 'F' ? 1 : 0);
}

/**
 * Builds a 12-digit personal id number.
 *
 * @example
 * cccdIdNumber('001', 'M', 1993, '047064'); // '001093047064'
 */
export function cccdIdNumber(
  province: ProvinceCode,
  sex: 'M' | 'F',
  birthYear: number,
  serial: string,
): string {
  if (!/^\d{6}$/.test(serial)) throw new ChipIdError('ERR_CCCD_ID_INVALID', 'cccd: serial must be 6 digits');
  return `${province}${sexCenturyDigit(sex, birthYear)}${String(birthYear % 100).padStart(2, '0')}${serial}`;
}

/** Whether an id number agrees with the province table, sex and birth year (the rule, not a registry). */
export function idNumberConsistent(idNumber: string, sex: 'M' | 'F', birthDate: string): boolean {
  if (!/^\d{12}$/.test(idNumber)) return false;
  if (!(idNumber.slice(0, 3) in PROVINCES)) return false;
  const year = Number(birthDate.slice(0, 4));
  return idNumber.slice(3, 6) === `${sexCenturyDigit(sex, year)}${String(year % 100).padStart(2, '0')}`;
}

const addYears = (iso: string, years: number): string => {
  const y = Number(iso.slice(0, 4)) + years;
  let md = iso.slice(4);
  // 29 February in a common year: the card expires on 28 February.
  if (md === '-02-29' && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) md = '-02-28';
  return `${String(y).padStart(4, '0')}${md}`;
};

/**
 * Date of expiry of a CCCD issued on `issuedOn` to someone born on `birthDate`, or `undefined` when the
 * card has no expiry (issued from age 58).
 *
 * @example
 * cccdExpiry('1993-01-05', '2021-05-01'); // '2033-01-05' (renewal at 40)
 */
export function cccdExpiry(birthDate: string, issuedOn: string): string | undefined {
  for (const age of [25, 40, 60]) {
    if (issuedOn < addYears(birthDate, age - 2)) return addYears(birthDate, age);
  }
  return undefined;
}

/** A citizen with the card they hold (the chip the factory builds). */
export interface CitizenCard {
  citizen: Citizen;
  card: Card;
}

const card = (c: Pick<Citizen, 'idNumber' | 'birthDate'>, issuedOn: string): Card => {
  const expiresOn = cccdExpiry(c.birthDate, issuedOn);
  if (!expiresOn) throw new ChipIdError('ERR_SANDBOX', 'sandbox: card without expiry is not supported');
  return { documentNumber: c.idNumber.slice(3), issuedOn, expiresOn };
};

/** Ready citizens, one per profile (fixed; their registry records are the sandbox seed). */
export const READY_CITIZENS = {
  valid: {
    idNumber: '001090211803',
    fullName: 'Trần Minh Khoa',
    birthDate: '1990-07-14',
    sex: 'M',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'Phú Lương, Hà Đông, Hà Nội',
    placeOfResidence: 'Số 18 ngõ 42 Trần Duy Hưng, Trung Hòa, Cầu Giấy, Hà Nội',
    identifyingMarks: 'Nốt ruồi C:1cm dưới trước mép phải',
    fatherName: 'Trần Văn Hải',
    motherName: 'Nguyễn Thị Hạnh',
    spouseName: 'Lê Thu Phương',
    oldIdNumber: '013456782',
    issuedOn: '2021-04-12',
  },
  'valid-brainpool': {
    idNumber: '079195004127',
    fullName: 'Lê Thị Hồng Nhung',
    birthDate: '1995-11-02',
    sex: 'F',
    ethnicity: 'Kinh',
    religion: 'Phật giáo',
    placeOfOrigin: 'Tân Hòa, Châu Thành, Tiền Giang',
    placeOfResidence: '126/7 Lê Văn Sỹ, Phường 10, Phú Nhuận, TP. Hồ Chí Minh',
    identifyingMarks: 'Sẹo chấm C:2cm trên sau đầu mày trái',
    fatherName: 'Lê Văn Tâm',
    motherName: 'Phạm Thị Ngọc',
    issuedOn: '2022-03-20',
  },
  'valid-rsa': {
    idNumber: '048088650391',
    fullName: 'Phạm Quốc Bảo',
    birthDate: '1988-02-29',
    sex: 'M',
    ethnicity: 'Kinh',
    religion: 'Công giáo',
    placeOfOrigin: 'Hòa Khánh, Liên Chiểu, Đà Nẵng',
    placeOfResidence: 'K25/14 Hàm Nghi, Thạc Gián, Thanh Khê, TP. Đà Nẵng',
    identifyingMarks: 'Nốt ruồi C:1,5cm trên trước cánh mũi phải',
    fatherName: 'Phạm Văn Lợi',
    motherName: 'Đỗ Thị Xuân',
    spouseName: 'Nguyễn Thị Bích Ngọc',
    oldIdNumber: '201534876',
    issuedOn: '2021-08-05',
  },
  'tampered-dg1': {
    idNumber: '038179302215',
    fullName: 'Hoàng Thị Lan',
    birthDate: '1979-05-23',
    sex: 'F',
    ethnicity: 'Mường',
    religion: 'Không',
    placeOfOrigin: 'Cẩm Thủy, Thanh Hóa',
    placeOfResidence: 'Thôn 3, Cẩm Tâm, Cẩm Thủy, Thanh Hóa',
    identifyingMarks: 'Sẹo chấm C:1cm dưới sau cằm trái',
    fatherName: 'Hoàng Văn Lực',
    motherName: 'Bùi Thị Nhàn',
    spouseName: 'Quách Văn Thành',
    oldIdNumber: '172345609',
    issuedOn: '2021-06-01',
  },
  'tampered-dg13': {
    idNumber: '040085127764',
    fullName: 'Võ Đức Thắng',
    birthDate: '1985-09-09',
    sex: 'M',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'Nghi Lộc, Nghệ An',
    placeOfResidence: 'Số 7 Phong Định Cảng, Bến Thủy, TP. Vinh, Nghệ An',
    identifyingMarks: 'Nốt ruồi C:3cm dưới sau đuôi mắt trái',
    fatherName: 'Võ Văn Cường',
    motherName: 'Hồ Thị Sen',
    spouseName: 'Trần Thị Mai',
    oldIdNumber: '186734512',
    issuedOn: '2024-01-10',
  },
  'bad-sod-signature': {
    idNumber: '031301058842',
    fullName: 'Đặng Thu Trang',
    birthDate: '2001-12-30',
    sex: 'F',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'An Đồng, An Dương, Hải Phòng',
    placeOfResidence: 'Số 55 Lạch Tray, Lạch Tray, Ngô Quyền, TP. Hải Phòng',
    identifyingMarks: 'Sẹo chấm C:1cm trên trước đầu mày phải',
    fatherName: 'Đặng Văn Dũng',
    motherName: 'Vũ Thị Thu',
    issuedOn: '2025-03-14',
  },
  'expired-ds': {
    idNumber: '034075410937',
    fullName: 'Bùi Văn Hùng',
    birthDate: '1975-03-03',
    sex: 'M',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'Vũ Thư, Thái Bình',
    placeOfResidence: 'Tổ 12, Kỳ Bá, TP. Thái Bình, Thái Bình',
    identifyingMarks: 'Sẹo C:2cm dưới trước cằm',
    fatherName: 'Bùi Văn Khang',
    motherName: 'Phạm Thị Tươi',
    spouseName: 'Đào Thị Hoa',
    oldIdNumber: '151209874',
    issuedOn: '2021-02-01',
  },
  'foreign-csca': {
    idNumber: '092198733610',
    fullName: 'Ngô Thị Mỹ Duyên',
    birthDate: '1998-08-18',
    sex: 'F',
    ethnicity: 'Kinh',
    religion: 'Phật giáo Hòa Hảo',
    placeOfOrigin: 'Thới Lai, Cần Thơ',
    placeOfResidence: '88 Trần Hưng Đạo, An Phú, Ninh Kiều, TP. Cần Thơ',
    identifyingMarks: 'Nốt ruồi C:0,5cm trên trước môi phải',
    fatherName: 'Ngô Văn Tài',
    motherName: 'Lâm Thị Mỹ',
    issuedOn: '2021-09-09',
  },
  'wrong-country': {
    idNumber: '022092557018',
    fullName: 'Vũ Hải Nam',
    birthDate: '1992-04-04',
    sex: 'M',
    ethnicity: 'Tày',
    religion: 'Không',
    placeOfOrigin: 'Tiên Yên, Quảng Ninh',
    placeOfResidence: 'Tổ 4 khu 7, Hồng Hải, TP. Hạ Long, Quảng Ninh',
    identifyingMarks: 'Sẹo chấm C:1cm sau dái tai phải',
    fatherName: 'Vũ Văn Sơn',
    motherName: 'Hà Thị Liên',
    issuedOn: '2022-01-20',
  },
  'revoked-card': {
    idNumber: '036183640295',
    fullName: 'Đỗ Thị Hà',
    birthDate: '1983-10-10',
    sex: 'F',
    ethnicity: 'Kinh',
    religion: 'Công giáo',
    placeOfOrigin: 'Hải Hậu, Nam Định',
    placeOfResidence: 'Xóm 5, Hải Phúc, Hải Hậu, Nam Định',
    identifyingMarks: 'Nốt ruồi C:2cm dưới trước đuôi mắt phải',
    fatherName: 'Đỗ Văn Nghĩa',
    motherName: 'Trần Thị Lụa',
    spouseName: 'Phạm Văn Toàn',
    oldIdNumber: '162874510',
    issuedOn: '2022-02-14',
  },
  'replaced-card': {
    idNumber: '075096381154',
    fullName: 'Huỳnh Tấn Phát',
    birthDate: '1996-01-25',
    sex: 'M',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'Long Thành, Đồng Nai',
    placeOfResidence: 'Số 31 đường 30/4, Trung Dũng, TP. Biên Hòa, Đồng Nai',
    identifyingMarks: 'Sẹo chấm C:1,5cm trên sau cánh mũi trái',
    fatherName: 'Huỳnh Văn Lộc',
    motherName: 'Trương Thị Bé',
    issuedOn: '2021-05-05',
  },
  'lost-card': {
    idNumber: '026191802476',
    fullName: 'Trịnh Ngọc Ánh',
    birthDate: '1991-06-06',
    sex: 'F',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'Vĩnh Tường, Vĩnh Phúc',
    placeOfResidence: 'Số 9 Mê Linh, Liên Bảo, TP. Vĩnh Yên, Vĩnh Phúc',
    identifyingMarks: 'Nốt ruồi C:1cm trên sau mép trái',
    fatherName: 'Trịnh Văn Tiến',
    motherName: 'Nguyễn Thị Ngọc',
    spouseName: 'Lê Quang Vinh',
    issuedOn: '2021-12-01',
  },
  'expired-card': {
    idNumber: '027200946601',
    fullName: 'Lý Gia Huy',
    birthDate: '2000-02-15',
    sex: 'M',
    ethnicity: 'Hoa',
    religion: 'Không',
    placeOfOrigin: 'Từ Sơn, Bắc Ninh',
    placeOfResidence: 'Số 12 Nguyễn Văn Cừ, Ninh Xá, TP. Bắc Ninh, Bắc Ninh',
    identifyingMarks: 'Sẹo chấm C:2cm dưới trước tai trái',
    fatherName: 'Lý Văn Phúc',
    motherName: 'Dương Thị Hằng',
    issuedOn: '2021-04-01',
  },
  deceased: {
    idNumber: '046072215388',
    fullName: 'Phan Văn Lộc',
    birthDate: '1972-05-05',
    sex: 'M',
    ethnicity: 'Kinh',
    religion: 'Phật giáo',
    placeOfOrigin: 'Phong Điền, Thừa Thiên Huế',
    placeOfResidence: 'Kiệt 40 Nguyễn Huệ, Vĩnh Ninh, TP. Huế, Thừa Thiên Huế',
    identifyingMarks: 'Sẹo C:3cm trên sau đầu mày phải',
    fatherName: 'Phan Văn Kỳ',
    motherName: 'Lê Thị Mận',
    spouseName: 'Nguyễn Thị Thủy',
    oldIdNumber: '191288456',
    issuedOn: '2021-03-15',
  },
  'name-mismatch': {
    idNumber: '001193472905',
    fullName: 'Nguyễn Thị Thanh Hương',
    birthDate: '1993-03-08',
    sex: 'F',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'Thanh Oai, Hà Nội',
    placeOfResidence: 'P1204 tòa B, 88 Láng Hạ, Láng Hạ, Đống Đa, Hà Nội',
    identifyingMarks: 'Nốt ruồi C:1cm trên trước đầu mày trái',
    fatherName: 'Nguyễn Văn Thịnh',
    motherName: 'Đinh Thị Tuyết',
    issuedOn: '2021-05-20',
  },
  clone: {
    idNumber: '052091067423',
    fullName: 'Trương Công Danh',
    birthDate: '1991-09-30',
    sex: 'M',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'Tuy Phước, Bình Định',
    placeOfResidence: 'Số 22 Lê Lợi, Lê Lợi, TP. Quy Nhơn, Bình Định',
    identifyingMarks: 'Sẹo chấm C:1cm dưới sau đuôi mày phải',
    fatherName: 'Trương Công Minh',
    motherName: 'Võ Thị Cúc',
    issuedOn: '2021-10-01',
  },
  'no-aa': {
    idNumber: '066197285530',
    fullName: 'Mai Thị Kim Oanh',
    birthDate: '1997-04-17',
    sex: 'F',
    ethnicity: 'Ê Đê',
    religion: 'Tin lành',
    placeOfOrigin: 'Krông Pắc, Đắk Lắk',
    placeOfResidence: 'Buôn Ky, Thành Nhất, TP. Buôn Ma Thuột, Đắk Lắk',
    identifyingMarks: 'Nốt ruồi C:2cm dưới trước mép trái',
    fatherName: 'Mai Văn Hòa',
    motherName: 'H Lan Niê',
    issuedOn: '2021-11-11',
  },
  'valid-legacy-record': {
    idNumber: '035070318826',
    fullName: 'Hà Văn Sáng',
    birthDate: '1970-08-19',
    sex: 'M',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'Kim Bảng, Hà Nam',
    placeOfResidence: 'Thôn Đông, Thanh Sơn, Kim Bảng, Hà Nam',
    identifyingMarks: 'Sẹo C:2cm dưới trước khuỷu tay phải',
    fatherName: 'Hà Văn Thọ',
    motherName: 'Nguyễn Thị Chè',
    spouseName: 'Lưu Thị Hồng',
    oldIdNumber: '168023457',
    issuedOn: '2021-06-30',
  },
  'valid-jp2': {
    idNumber: '026194007315',
    fullName: 'Đỗ Thị Thanh Hương',
    birthDate: '1994-06-21',
    sex: 'F',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'Bình Xuyên, Vĩnh Phúc',
    placeOfResidence: 'Số 12 Mê Linh, Liên Bảo, TP. Vĩnh Yên, Vĩnh Phúc',
    identifyingMarks: 'Nốt ruồi C:1cm trên sau cánh mũi trái',
    fatherName: 'Đỗ Văn Chính',
    motherName: 'Kiều Thị Lan',
    issuedOn: '2022-05-16',
  },
  'valid-large-dg2': {
    idNumber: '046089122508',
    fullName: 'Nguyễn Hữu Phước',
    birthDate: '1989-10-05',
    sex: 'M',
    ethnicity: 'Kinh',
    religion: 'Phật giáo',
    placeOfOrigin: 'Phong Điền, Thừa Thiên Huế',
    placeOfResidence: '24 Lê Lợi, Vĩnh Ninh, TP. Huế, Thừa Thiên Huế',
    identifyingMarks: 'Sẹo chấm C:1cm dưới sau mép phải',
    fatherName: 'Nguyễn Hữu Lộc',
    motherName: 'Trương Thị Hoa',
    spouseName: 'Phan Thị Thu Hà',
    oldIdNumber: '191623408',
    issuedOn: '2021-10-04',
  },
} as const satisfies Record<string, Citizen & { issuedOn: string }>;

/** Ready citizen and card of a profile. */
export function readyCitizen(profile: keyof typeof READY_CITIZENS): CitizenCard {
  const { issuedOn, ...c } = READY_CITIZENS[profile];
  const citizen: Citizen = { ...c };
  return { citizen, card: card(citizen, issuedOn) };
}

const SURNAMES = [
  'Nguyễn',
  'Trần',
  'Lê',
  'Phạm',
  'Hoàng',
  'Huỳnh',
  'Phan',
  'Vũ',
  'Võ',
  'Đặng',
  'Bùi',
  'Đỗ',
  'Hồ',
  'Ngô',
  'Dương',
  'Lý',
] as const;
const MIDDLE = {
  M: ['Văn', 'Đức', 'Minh', 'Quốc', 'Hữu', 'Công', 'Thanh', 'Gia'],
  F: ['Thị', 'Thu', 'Ngọc', 'Thanh', 'Hồng', 'Mỹ', 'Kim', 'Bảo'],
} as const;
const GIVEN = {
  M: [
    'An',
    'Bình',
    'Cường',
    'Dũng',
    'Hải',
    'Hiếu',
    'Hùng',
    'Khánh',
    'Long',
    'Nam',
    'Phúc',
    'Quân',
    'Sơn',
    'Tuấn',
    'Việt',
  ],
  F: [
    'Anh',
    'Chi',
    'Dung',
    'Giang',
    'Hà',
    'Hằng',
    'Hoa',
    'Lan',
    'Linh',
    'Mai',
    'Ngân',
    'Nhi',
    'Thảo',
    'Trang',
    'Yến',
  ],
} as const;
const STREETS = [
  'Lê Lợi',
  'Trần Phú',
  'Nguyễn Trãi',
  'Hai Bà Trưng',
  'Quang Trung',
  'Lý Thường Kiệt',
  'Điện Biên Phủ',
  'Hùng Vương',
] as const;
const MARKS = [
  'Nốt ruồi C:1cm dưới trước mép phải',
  'Sẹo chấm C:2cm trên sau đầu mày trái',
  'Nốt ruồi C:1,5cm trên trước cánh mũi trái',
  'Sẹo chấm C:1cm dưới sau cằm phải',
] as const;

const pad2 = (n: number) => String(n).padStart(2, '0');
const digits = (rnd: SandboxRandom, n: number) => Array.from({ length: n }, () => rnd.int(10)).join('');

/**
 * A random citizen and their current card (deterministic for a seeded `rnd`). Birth years 1960–2006,
 * cards issued 2021–2025 and valid until 2030 or later, so the card verifies for years.
 *
 * @example
 * const { citizen, card } = randomCitizen(createRandom('7'));
 */
export function randomCitizen(rnd: SandboxRandom): CitizenCard {
  for (;;) {
    const sex = rnd.pick(['M', 'F'] as const);
    const year = 1960 + rnd.int(47);
    const birthDate = `${year}-${pad2(1 + rnd.int(12))}-${pad2(1 + rnd.int(28))}`;
    const issuedOn = `${2021 + rnd.int(5)}-${pad2(1 + rnd.int(12))}-${pad2(1 + rnd.int(28))}`;
    const province = rnd.pick(Object.keys(PROVINCES) as ProvinceCode[]);
    const originProvince = rnd.pick(Object.keys(PROVINCES) as ProvinceCode[]);
    const idNumber = cccdIdNumber(province, sex, year, digits(rnd, 6));
    const surname = rnd.pick(SURNAMES);
    const expiresOn = cccdExpiry(birthDate, issuedOn);
    const age = Number(issuedOn.slice(0, 4)) - year;
    if (!expiresOn || expiresOn < '2030-01-01' || age < 14) continue;
    const citizen: Citizen = {
      idNumber,
      fullName: `${surname} ${rnd.pick(MIDDLE[sex])} ${rnd.pick(GIVEN[sex])}`,
      birthDate,
      sex,
      ethnicity: 'Kinh',
      religion: 'Không',
      placeOfOrigin: provinceName(originProvince),
      placeOfResidence: `Số ${1 + rnd.int(200)} ${rnd.pick(STREETS)}, ${provinceName(province)}`,
      identifyingMarks: rnd.pick(MARKS),
      fatherName: `${surname} ${rnd.pick(MIDDLE.M)} ${rnd.pick(GIVEN.M)}`,
      motherName: `${rnd.pick(SURNAMES)} ${rnd.pick(MIDDLE.F)} ${rnd.pick(GIVEN.F)}`,
    };
    if (year < 1990) citizen.oldIdNumber = digits(rnd, 9);
    return { citizen, card: { documentNumber: idNumber.slice(3), issuedOn, expiresOn } };
  }
}
